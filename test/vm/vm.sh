#!/usr/bin/env bash
# vm.sh [-m MODULE]... -w DIR -- COMMAND...
# vm.sh --fetch
#
# Runs COMMAND as root in a QEMU VM (software emulation) booted on Debian's
# own kernel, whose modules include what the host kernel may lack (ipvlan,
# 8021q, dummy, esp4/esp6). The host's root filesystem is the guest's, shared
# read-only over 9p; DIR is shared writable at the same path and is the
# working directory; /tmp and /run are tmpfs. Modules load on demand from
# the unpacked kernel package; -m loads some first. Prints the guest's
# console and exits with COMMAND's status (98: no status seen).
#
# Installs what it needs (qemu-system-x86, busybox-static, kmod) with
# apt-get and caches the kernel package, unpacked, under $CNMKIT_VM_CACHE
# (default /var/cache/cnmkit-vm). --fetch does only that, from a namespace
# that reaches the mirror (the tests run in namespaces that do not).
set -euo pipefail

mods=()
wdir=
fetch=
while [ $# -gt 0 ]; do
  case $1 in
    -m) mods+=("$2"); shift 2 ;;
    -w) wdir=$(cd "$2" && pwd); shift 2 ;;
    --fetch) fetch=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ -z "$fetch" ] && { [ -z "$wdir" ] || [ $# -eq 0 ]; }; then
  echo "usage: $0 [-m MODULE]... -w DIR -- COMMAND..." >&2
  exit 2
fi

cache=${CNMKIT_VM_CACHE:-/var/cache/cnmkit-vm}
mkdir -p "$cache"

# retry runs a command up to 5 times, 3 s apart: the mirror's name does not
# always resolve at the first try.
retry() {
  local i
  for i in 1 2 3 4; do "$@" && return 0; sleep 3; done
  "$@"
}
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 ||
    retry sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null' sh "$@"
}
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v depmod >/dev/null || need+=(kmod)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# Debian's kernel package: downloaded and unpacked once, never installed.
if [ ! -d "$cache/kernel/boot" ]; then
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$pkg" ]; then
    retry apt-get update -qq
    pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  rm -rf "$cache"/dl.* # an earlier, failed download
  tmp=$(mktemp -d "$cache/dl.XXXXXX")
  chmod 755 "$tmp" # apt's download user writes there
  (cd "$tmp" && retry apt-get download "$pkg" >/dev/null && dpkg-deb -x "$pkg"_*.deb kernel)
  depmod -b "$tmp/kernel" "$(ls "$tmp/kernel/lib/modules")"
  rm -rf "$cache/kernel"
  mv "$tmp/kernel" "$cache/kernel"
  rm -rf "$tmp"
fi
[ -z "$fetch" ] || exit 0
kver=$(ls "$cache/kernel/lib/modules")
moddir=$cache/kernel/lib/modules/$kver

run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
mkdir -p "$run"/root/{bin,ko,proc,sys,dev,new} "$run/ctl"
cp /bin/busybox "$run/root/bin/"
# What the initramfs needs to reach the 9p shares.
early="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
for m in $early; do
  f=$(find "$moddir" -name "$m.ko*" | head -1)
  [ -n "$f" ] && cp "$f" "$run/root/ko/"
done

# The kernel's on-demand loader reads the unpacked package.
printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %q "$@"\n' "$cache/kernel" >"$run/ctl/modprobe"
chmod +x "$run/ctl/modprobe"
{
  echo 'echo'  # the console's first line carries the firmware's noise
  echo 'echo /run/vmctl/modprobe >/proc/sys/kernel/modprobe'
  for m in "${mods[@]}"; do echo "/run/vmctl/modprobe $m || { echo CNMKIT-VM-STATUS 97; echo o >/proc/sysrq-trigger; }"; done
  printf 'cd %q\n' "$wdir"
  printf '%q ' "$@"; echo
  echo 'echo "CNMKIT-VM-STATUS $?"'
  echo 'echo 1 >/proc/sys/kernel/sysrq; echo o >/proc/sysrq-trigger; sleep 30'
} >"$run/ctl/guest.sh"

p9='trans=virtio,version=9p2000.L,msize=512000'
cat >"$run/root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $early; do [ -e /ko/\$m.ko ] && insmod /ko/\$m.ko; [ -e /ko/\$m.ko.xz ] && insmod /ko/\$m.ko.xz; done
mount -t 9p -o $p9,ro host /new || poweroff -f
mount -t proc proc /new/proc; mount -t sysfs sys /new/sys; mount -t devtmpfs dev /new/dev
mount -t tmpfs tmp /new/tmp; mount -t tmpfs tmp /new/var/tmp 2>/dev/null
mount -t tmpfs run /new/run; mkdir -p /new/run/vmctl
mount -t 9p -o $p9 ctl /new/run/vmctl
mkdir -p /new$wdir
mount -t 9p -o $p9 work /new$wdir || poweroff -f
exec switch_root /new /bin/bash /run/vmctl/guest.sh
INIT
chmod +x "$run/root/init"
(cd "$run/root" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip >"$run/initrd.gz")

qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m "${CNMKIT_VM_MEM:-2048}" -smp 2 \
  -nographic -no-reboot -nic none -kernel "$cache/kernel/boot/vmlinuz-$kver" -initrd "$run/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1 ${CNMKIT_VM_APPEND:-}" \
  -fsdev local,id=h,path=/,security_model=none,readonly=on,multidevs=remap -device virtio-9p-pci,fsdev=h,mount_tag=host \
  -fsdev local,id=w,path="$wdir",security_model=none,multidevs=remap -device virtio-9p-pci,fsdev=w,mount_tag=work \
  -fsdev local,id=c,path="$run/ctl",security_model=none -device virtio-9p-pci,fsdev=c,mount_tag=ctl \
  </dev/null 2>&1 | tr -d '\r' | tee "$run/console" |
  grep -a -v -e SeaBIOS -e iPXE -e 'Booting from' -e 'Press Ctrl-B' -e 'sysrq: Power Off' -e 'reboot: Power down' -e '^\s*$' || true
status=$(sed -n 's/^CNMKIT-VM-STATUS \([0-9]*\).*/\1/p' "$run/console" | tail -1)
exit "${status:-98}"
