package recorder

import "testing"

// SetSyscallStops makes TracerPtrace record without its seccomp filter,
// through syscall stops, until t ends.
func SetSyscallStops(t testing.TB) {
	noPtraceFilter = true
	t.Cleanup(func() { noPtraceFilter = false })
}

// SetSeccompStopHook has f called at each seccomp stop of the command's
// calls under TracerPtrace, before the call is resumed, until t ends.
func SetSeccompStopHook(t testing.TB, f func(pid int, name string)) {
	seccompStopHook = f
	t.Cleanup(func() { seccompStopHook = nil })
}

// ForceSyscallStops is SetSyscallStops for a child process of a test.
func ForceSyscallStops() { noPtraceFilter = true }

// AllowPtraceFilter undoes ForceSyscallStops.
func AllowPtraceFilter() { noPtraceFilter = false }

// SetPtraceCannotRefuseClone3 makes auto behave, until t ends, as on an
// architecture where ptrace cannot answer clone3: notify first.
func SetPtraceCannotRefuseClone3(t testing.TB) {
	was := ptraceRefusesClone3
	ptraceRefusesClone3 = false
	t.Cleanup(func() { ptraceRefusesClone3 = was })
}

// ForceNotifyFirst is SetPtraceCannotRefuseClone3 for a child process of a
// test.
func ForceNotifyFirst() { ptraceRefusesClone3 = false }
