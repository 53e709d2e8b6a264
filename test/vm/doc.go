// Package vm runs the tests that need kernel features this machine's kernel
// may lack (ipvlan, 802.1q VLAN and dummy links, IPsec ESP) in a QEMU VM
// booted on Debian's own kernel, which has them all as modules.
//
// TestInVM builds the test binaries of the suites it lists on the host,
// boots one VM (vm.sh: the host's root shared read-only, the build dir
// writable, no network device), runs every suite there and reports each as
// a subtest with the guest's output. It skips without root, with
// CNMKIT_VM=off, and when the host kernel has every feature (the tests then
// ran directly). The tests themselves check for the feature they need and
// skip without it, so on the host they skip and in the VM they run.
package vm
