// Package osl is the OS layer of a sandbox: a network namespace pinned by a
// bind mount at a path (the sandbox key, <exec root>/netns/<short id>) and the
// interfaces, routes, neighbour entries and sysctls inside it.
//
// Kernel work inside a sandbox goes through one netlink handle per sandbox,
// opened when the sandbox is created or opened and closed by Destroy. The
// thread's namespace is switched only by package ns (sysctls, InvokeFunc).
// Each sandbox has its own lock; nothing is locked across sandboxes.
//
// Attaching: drivers create the container end of a veth inside the sandbox
// namespace under a unique temporary name, and AddInterface adopts it:
// rename to prefix+N, MAC, MTU, addresses, up, routes, with no namespace move.
// A link still in the caller's namespace is moved in (slower: an RCU grace
// period). Options are plain functions:
//
//	sb.AddInterface("veth1a2b3c", "eth",
//		osl.WithAddress(addr), osl.WithIPv6Address(addr6),
//		osl.WithMacAddress(mac), osl.WithMTU(1450))
//
// The seed's setters make the same options: sb.InterfaceOptions().Address(addr),
// sb.NeighborOptions().LinkName("vxlan0").
//
// Detaching: Interface.Remove deletes the link in the sandbox; Destroy unpins
// the namespace and lets the kernel free it and its links asynchronously.
// A key that Destroy (or a failed NewSandbox) could not unmount and delete
// is registered in the package; GC collects those keys, and NewSandbox
// collects one before pinning it again.
//
// Keys: GenerateKey(id) puts keys under /run/cnmkit/netns (the default exec
// root of package config); GenerateKeyAt(execRoot, id) under any exec root.
//
// Restoring: NewSandboxRestore(key, osCreate, true) opens a pinned namespace and
// reads everything back (links but lo, their addresses, routes, gateways,
// permanent IP neighbours). Restored interfaces are named by their name in
// the namespace (SrcName == DstName); options and neighbour link names that
// name an interface accept either name. GCAt removes pinned namespaces left
// under the exec root by a previous run.
package osl
