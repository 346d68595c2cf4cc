// Package sys is the part of golang.org/x/sys/unix that the launch path
// uses, built on package syscall on amd64 and arm64.
//
// Why not x/sys/unix itself: the profilec CLI launches a compiled plan
// from an init function (package enforcer/handoff/early), before its
// policy engine and the rest initialise. Go initialises packages in
// import-path order among those whose imports are done, so everything
// the launch imports must be ready early; golang.org/x/sys/unix sorts
// after every github.com/... package and imports strings, and with it
// the launch would start only after ~50 other packages had initialised
// (TestLaunchImportsInitialiseEarly lists what is allowed). Other
// architectures alias x/sys/unix (sys_other.go): correct, just not early.
package sys
