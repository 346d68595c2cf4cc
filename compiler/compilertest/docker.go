package compilertest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"

	"github.com/profilec/profilec/schema"
	"github.com/profilec/profilec/schema/systab"
)

// DockerDefaultCaps returns the 14 capabilities Docker grants a container
// by default (moby's oci/caps.DefaultCapabilities).
func DockerDefaultCaps() []string {
	return []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
		"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
		"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
	}
}

// DockerDefault returns moby's default seccomp profile resolved the way
// moby's setupSeccomp resolves it for a container on arch (any spelling)
// with bounding capabilities caps on kernel "X.Y": the archMap entry of
// the arch becomes the architectures, and includes/excludes filter the
// rules by the arch's Docker name, the capabilities and the kernel. It
// panics on an unknown arch or a malformed kernel: it serves tests.
func DockerDefault(arch string, caps []string, kernel string) *schema.ResolvedSeccomp {
	a, ok := systab.LookupArch(arch)
	if !ok {
		panic(fmt.Sprintf("compilertest: unknown arch %q", arch))
	}
	kmaj, kmin := parseKernel(kernel)
	p := mobyseccomp.DefaultProfile()
	out := &schema.ResolvedSeccomp{
		Enabled:         true,
		DefaultAction:   string(p.DefaultAction),
		DefaultErrnoRet: p.DefaultErrnoRet,
		Syscalls:        []schema.SyscallRule{},
	}
	for _, m := range p.ArchMap {
		if string(m.Arch) == a.Name {
			out.Architectures = append(out.Architectures, string(m.Arch))
			for _, s := range m.SubArches {
				out.Architectures = append(out.Architectures, string(s))
			}
			break
		}
	}
	kernelAtLeast := func(k *mobyseccomp.KernelVersion) bool {
		return kmaj > k.Kernel || (kmaj == k.Kernel && kmin >= k.Major)
	}
	native := a.Native
rules:
	for _, c := range p.Syscalls {
		names := c.Names
		if c.Name != "" {
			names = []string{c.Name}
		}
		if f := c.Excludes; f != nil {
			if slices.Contains(f.Arches, native) {
				continue
			}
			for _, cp := range f.Caps {
				if slices.Contains(caps, cp) {
					continue rules
				}
			}
			if f.MinKernel != nil && kernelAtLeast(f.MinKernel) {
				continue
			}
		}
		if f := c.Includes; f != nil {
			if len(f.Arches) > 0 && !slices.Contains(f.Arches, native) {
				continue
			}
			for _, cp := range f.Caps {
				if !slices.Contains(caps, cp) {
					continue rules
				}
			}
			if f.MinKernel != nil && !kernelAtLeast(f.MinKernel) {
				continue
			}
		}
		r := schema.SyscallRule{
			Names:    slices.Clone(names),
			Action:   string(c.Action),
			ErrnoRet: c.ErrnoRet,
			Comment:  c.Comment,
		}
		for _, arg := range c.Args {
			r.Args = append(r.Args, schema.Arg{Index: arg.Index, Value: arg.Value, ValueTwo: arg.ValueTwo, Op: string(arg.Op)})
		}
		out.Syscalls = append(out.Syscalls, r)
	}
	return out
}

func parseKernel(s string) (uint64, uint64) {
	maj, min, ok := strings.Cut(s, ".")
	a, err1 := strconv.ParseUint(maj, 10, 64)
	b, err2 := strconv.ParseUint(min, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		panic(fmt.Sprintf("compilertest: kernel %q is not X.Y", s))
	}
	return a, b
}
