//go:build linux && (amd64 || arm64)

package enforcer

// canVfork: rawClone may be used with CLONE_VM|CLONE_VFORK.
const canVfork = true

// rawClone is clone(2) or clone3(2) for a child that shares the caller's
// stack (vfork_*.s).
//
//go:noescape
func rawClone(trap, a1, a2, a3 uintptr) (r1 uintptr, errno uintptr)
