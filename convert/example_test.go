package convert_test

import (
	"fmt"
	"os"

	"github.com/profilec/profilec/convert"
	"github.com/profilec/profilec/schema"
)

// A Docker profile becomes a profilec profile with its conditions, and
// Docker's default capabilities written out.
func ExampleFromDocker() {
	p, err := convert.FromDocker([]byte(`{
		"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [
			{"name": "ptrace", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}},
			{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}
		]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Name = "example"
	y, err := convert.ToYAML(p, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(y)
	// Output:
	// version: 1
	// name: example
	// description: Converted from a Docker seccomp profile, with Docker's default capabilities.
	// capabilities:
	//   add: [CAP_AUDIT_WRITE, CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_MKNOD, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT]
	// noNewPrivileges: false
	// seccomp:
	//   defaultAction: SCMP_ACT_ERRNO
	//   syscalls:
	//     - names: [ptrace]
	//       action: SCMP_ACT_ALLOW
	//       includes:
	//         caps: [CAP_SYS_PTRACE]
	//     - names: [read, write]
	//       action: SCMP_ACT_ALLOW
}

// What a Kubernetes Pod cannot carry comes back as notes.
func ExampleToK8s() {
	p, err := schema.LoadBytes("web.yaml", []byte(`version: 1
name: web
capabilities: {add: [CAP_NET_BIND_SERVICE]}
noNewPrivileges: true
cgroups: {memory: {max: 128Mi}, pids: {max: 100}}
seccomp: {defaultAction: allow, syscalls: [{names: [ptrace], action: errno}]}
`), schema.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := schema.Resolve([]*schema.Profile{p}, schema.Target{Arch: "SCMP_ARCH_X86_64", Kernel: "6.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	k, notes, err := convert.ToK8s(r, convert.K8sOptions{Namespace: "shop", Image: "nginx:1.27"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k.LocalhostPath)
	for _, n := range notes {
		fmt.Println(n)
	}
	// Output:
	// operator/shop/web.json
	// conditions (includes/excludes) and extends were resolved for SCMP_ARCH_X86_64, kernel 6.1
	// cgroups.pids.max: a Pod has no pids limit of its own (the kubelet's podPidsLimit sets one for every Pod); dropped
}
