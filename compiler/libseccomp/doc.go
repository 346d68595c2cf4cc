// Package libseccomp checks the seccomp compiler against libseccomp itself, used the way runc uses it; its tests need cgo, the package itself does not.
package libseccomp
