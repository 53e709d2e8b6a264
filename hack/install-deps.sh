#!/usr/bin/env bash
# Installs what the tests and the demo need, where it is missing:
# Debian packages (iptables, iproute2, iperf3, kmod, dbus-daemon for the
# firewalld test, etcd-server for the etcd store tests, qemu and busybox for
# the VM harness) and staticcheck.
set -euo pipefail

need=()
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
command -v modprobe >/dev/null 2>&1 || need+=(kmod)
command -v dbus-daemon >/dev/null 2>&1 || need+=(dbus-daemon)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
# The VM harness (test/vm) where the host kernel lacks a feature.
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
[ -x /bin/busybox ] || need+=(busybox-static)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${need[*]}; run as root to install them (kernel tests skip without root anyway)" >&2
  elif command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # The mirror's name does not always resolve at the first try.
    for i in 1 2 3 4 5; do
      apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null && break
      [ "$i" -lt 5 ] || exit 1
      echo "install-deps: apt-get failed, retrying" >&2
      sleep 3
    done
  else
    echo "install-deps: missing ${need[*]} and no apt-get to install them" >&2
    exit 1
  fi
fi

# The VM harness's Debian kernel, fetched here: the tests run in network
# namespaces that do not reach the mirror.
if [ "$(id -u)" -eq 0 ] && [ "${1:-}" != "--lint" ] && [ "${CNMKIT_VM:-}" != off ]; then
  "$(dirname "$0")/../test/vm/vm.sh" --fetch
fi

if [ "${1:-}" = "--lint" ]; then
  gobin=$(go env GOPATH)/bin
  if ! command -v staticcheck >/dev/null 2>&1 && [ ! -x "$gobin/staticcheck" ]; then
    echo "install-deps: installing staticcheck"
    GOFLAGS= go install honnef.co/go/tools/cmd/staticcheck@v0.7.0
  fi
fi
