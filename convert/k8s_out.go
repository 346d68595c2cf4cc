package convert

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/schema"
)

// K8sOptions name the Kubernetes objects ToK8s writes.
type K8sOptions struct {
	// Name of the SeccompProfile, the Pod and its container; "" takes the
	// profile's name made into a valid object name.
	Name string
	// Namespace of both objects; "" means "default".
	Namespace string
	// Image of the Pod's container; "" writes a placeholder to replace.
	Image string
}

// K8s is what a profile becomes for a Kubernetes cluster: a SeccompProfile
// for the security-profiles-operator, the same filter as a Localhost
// profile file for clusters without the operator, and a Pod whose
// securityContext and resources carry the rest of the profile.
type K8s struct {
	SeccompProfile []byte // YAML, security-profiles-operator.x-k8s.io/v1beta1; nil without a filter
	// Localhost is the seccomp JSON for the kubelet's seccomp directory;
	// LocalhostPath is where it goes below that directory
	// (/var/lib/kubelet/seccomp by default) and what the Pod references.
	Localhost     []byte
	LocalhostPath string
	Pod           []byte // YAML, v1 Pod
}

// Manifests is the SeccompProfile and the Pod as one YAML stream for
// kubectl apply -f.
func (k *K8s) Manifests() []byte {
	var b bytes.Buffer
	if k.SeccompProfile != nil {
		b.Write(k.SeccompProfile)
		b.WriteString("---\n")
	}
	b.Write(k.Pod)
	return b.Bytes()
}

// spoArches are the architectures the SeccompProfile CRD's enum admits.
var spoArches = map[string]bool{
	"SCMP_ARCH_NATIVE": true, "SCMP_ARCH_X86": true, "SCMP_ARCH_X86_64": true, "SCMP_ARCH_X32": true,
	"SCMP_ARCH_ARM": true, "SCMP_ARCH_AARCH64": true, "SCMP_ARCH_MIPS": true, "SCMP_ARCH_MIPS64": true,
	"SCMP_ARCH_MIPS64N32": true, "SCMP_ARCH_MIPSEL": true, "SCMP_ARCH_MIPSEL64": true,
	"SCMP_ARCH_MIPSEL64N32": true, "SCMP_ARCH_PPC": true, "SCMP_ARCH_PPC64": true, "SCMP_ARCH_PPC64LE": true,
	"SCMP_ARCH_S390": true, "SCMP_ARCH_S390X": true, "SCMP_ARCH_PARISC": true, "SCMP_ARCH_PARISC64": true,
	"SCMP_ARCH_RISCV64": true,
}

type spoOut struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   k8sMeta    `yaml:"metadata"`
	Spec       spoSpecOut `yaml:"spec"`
}

type k8sMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type spoSpecOut struct {
	// disabled is required by the v1beta1 CRD since the operator added it
	// (it has a default, but a client-side validation may not apply it).
	Disabled         bool            `yaml:"disabled"`
	DefaultAction    string          `yaml:"defaultAction"`
	Architectures    []string        `yaml:"architectures,omitempty"`
	ListenerPath     string          `yaml:"listenerPath,omitempty"`
	ListenerMetadata string          `yaml:"listenerMetadata,omitempty"`
	Syscalls         []spoSyscallOut `yaml:"syscalls,omitempty"`
	Flags            []string        `yaml:"flags,omitempty"`
}

type spoSyscallOut struct {
	Names    []string    `yaml:"names"`
	Action   string      `yaml:"action"`
	ErrnoRet *uint       `yaml:"errnoRet,omitempty"`
	Args     []spoArgOut `yaml:"args,omitempty"`
}

type spoArgOut struct {
	Index    uint   `yaml:"index"`
	Value    uint64 `yaml:"value"`
	ValueTwo uint64 `yaml:"valueTwo,omitempty"`
	Op       string `yaml:"op"`
}

// ToK8s writes a resolved profile for Kubernetes. The CRD and the Pod API
// have no conditions, so r must be resolved for the nodes' architecture.
func ToK8s(r *schema.Resolved, o K8sOptions) (*K8s, []Note, error) {
	if r == nil {
		return nil, nil, fmt.Errorf("write kubernetes objects: no profile")
	}
	var ns notes
	ns.add("", "conditions (includes/excludes) and extends were resolved for %s", targetString(r.Target))
	name := o.Name
	if name == "" {
		name = objectName(r.Name)
	} else if !dns1123.MatchString(name) || len(name) > 253 {
		return nil, nil, fmt.Errorf("write kubernetes objects: %q is not a valid object name (lower-case letters, digits, '-' and '.')", name)
	}
	namespace := o.Namespace
	if namespace == "" {
		namespace = "default"
	}
	if !r.Seccomp.Enabled {
		// No filter is what Kubernetes calls Unconfined; the rest of the
		// profile still belongs in the Pod.
		ns.add("seccomp", "the profile has no seccomp section: the Pod runs Unconfined, and there is no SeccompProfile or Localhost file")
		pod, err := podFor(r, name, namespace, o.Image, seccompProfile{Type: "Unconfined"}, &ns)
		if err != nil {
			return nil, nil, err
		}
		return &K8s{Pod: pod}, ns, nil
	}
	// Kubernetes runtimes start containers with runc or crun, which make
	// syscalls of their own after installing the filter.
	runcNeeds(r, &ns)
	s := &r.Seccomp
	if s.DefaultAction == "SCMP_ACT_NOTIFY" {
		return nil, nil, fmt.Errorf("write kubernetes objects: defaultAction SCMP_ACT_NOTIFY is refused by the SeccompProfile CRD and by runtimes")
	}
	spec := spoSpecOut{
		DefaultAction:    s.DefaultAction,
		ListenerPath:     s.ListenerPath,
		ListenerMetadata: s.ListenerMetadata,
		Flags:            append([]string(nil), s.Flags...),
	}
	// Runtimes return EPERM when the errno is not given, so only another
	// errno is lost.
	if s.DefaultErrnoRet != nil && *s.DefaultErrnoRet != 1 {
		ns.add("seccomp.defaultErrnoRet", "the SeccompProfile CRD has no defaultErrnoRet: the operator's profile returns EPERM by default, the Localhost file keeps %d", *s.DefaultErrnoRet)
	}
	for _, a := range s.Architectures {
		if !spoArches[a] {
			ns.add("seccomp.architectures", "%s is not in the SeccompProfile CRD's list; left out of the SeccompProfile (its calls meet the bad-architecture action there), kept in the Localhost file", a)
			continue
		}
		spec.Architectures = append(spec.Architectures, a)
	}
	for i, rule := range s.Syscalls {
		out := spoSyscallOut{Names: append([]string(nil), rule.Names...), Action: rule.Action, ErrnoRet: copyUint(rule.ErrnoRet)}
		if rule.ErrnoRet != nil && *rule.ErrnoRet > 4095 {
			return nil, nil, fmt.Errorf("write kubernetes objects: seccomp.syscalls[%d].errnoRet %d is above the CRD's maximum 4095", i, *rule.ErrnoRet)
		}
		for j, a := range rule.Args {
			// The CRD types values as int64 with minimum 0.
			if a.Value > math.MaxInt64 || a.ValueTwo > math.MaxInt64 {
				return nil, nil, fmt.Errorf("write kubernetes objects: seccomp.syscalls[%d].args[%d]: value %#x does not fit the CRD's int64 field", i, j, max(a.Value, a.ValueTwo))
			}
			out.Args = append(out.Args, spoArgOut{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: a.Op})
		}
		spec.Syscalls = append(spec.Syscalls, out)
	}
	sp := spoOut{
		APIVersion: spoGroup + "/v1beta1",
		Kind:       "SeccompProfile",
		Metadata:   k8sMeta{Name: name, Namespace: namespace},
		Spec:       spec,
	}
	if r.Description != "" {
		sp.Metadata.Annotations = map[string]string{"description": r.Description}
	}
	spYAML, err := marshalYAML(&sp)
	if err != nil {
		return nil, nil, fmt.Errorf("write kubernetes objects: %w", err)
	}
	local, _, err := ResolvedToDocker(r)
	if err != nil {
		return nil, nil, err
	}
	// The operator installs a namespaced profile at
	// operator/NAMESPACE/NAME.json below the kubelet's seccomp root; the
	// Localhost file goes to the same place, so the Pod works either way.
	localPath := "operator/" + namespace + "/" + name + ".json"
	pod, err := podFor(r, name, namespace, o.Image, seccompProfile{Type: "Localhost", LocalhostProfile: localPath}, &ns)
	if err != nil {
		return nil, nil, err
	}
	return &K8s{SeccompProfile: spYAML, Localhost: local, LocalhostPath: localPath, Pod: pod}, ns, nil
}

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// objectName turns a profile name into a DNS-1123 label.
func objectName(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if len(out) > 63 {
		out = strings.TrimRight(out[:63], "-")
	}
	if out == "" {
		return "profilec-profile"
	}
	return out
}

func marshalYAML(v any) ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	flowWords(&n, "")
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type podOut struct {
	APIVersion string  `yaml:"apiVersion"`
	Kind       string  `yaml:"kind"`
	Metadata   k8sMeta `yaml:"metadata"`
	Spec       podSpec `yaml:"spec"`
}

type podSpec struct {
	Hostname        string         `yaml:"hostname,omitempty"`
	HostUsers       *bool          `yaml:"hostUsers,omitempty"`
	SecurityContext podSecurity    `yaml:"securityContext"`
	Containers      []podContainer `yaml:"containers"`
}

type podSecurity struct {
	RunAsUser          *int64         `yaml:"runAsUser,omitempty"`
	RunAsGroup         *int64         `yaml:"runAsGroup,omitempty"`
	SupplementalGroups []int64        `yaml:"supplementalGroups,omitempty"`
	SeccompProfile     seccompProfile `yaml:"seccompProfile"`
}

type seccompProfile struct {
	Type             string `yaml:"type"`
	LocalhostProfile string `yaml:"localhostProfile,omitempty"`
}

type podContainer struct {
	Name            string              `yaml:"name"`
	Image           string              `yaml:"image"`
	SecurityContext containerSecurity   `yaml:"securityContext"`
	Resources       *containerResources `yaml:"resources,omitempty"`
}

type containerSecurity struct {
	AllowPrivilegeEscalation bool    `yaml:"allowPrivilegeEscalation"`
	Capabilities             podCaps `yaml:"capabilities"`
	RunAsUser                *int64  `yaml:"runAsUser,omitempty"`
	RunAsGroup               *int64  `yaml:"runAsGroup,omitempty"`
}

type podCaps struct {
	Drop []string `yaml:"drop"`
	Add  []string `yaml:"add,omitempty"`
}

type containerResources struct {
	Limits map[string]string `yaml:"limits"`
}

// podFor writes the Pod: the seccompProfile sc,
// capabilities as drop ALL plus the granted set, allowPrivilegeEscalation
// as the negation of noNewPrivileges, the user, and memory and CPU limits.
func podFor(r *schema.Resolved, name, namespace, image string, sc seccompProfile, ns *notes) ([]byte, error) {
	if image == "" {
		image = "REPLACE-WITH-YOUR-IMAGE"
		ns.add("pod", "no --image given: the Pod's image is a placeholder to replace")
	}
	pod := podOut{
		APIVersion: "v1",
		Kind:       "Pod",
		Metadata:   k8sMeta{Name: name, Namespace: namespace},
		Spec: podSpec{
			SecurityContext: podSecurity{SeccompProfile: sc},
		},
	}
	c := podContainer{
		Name:  name,
		Image: image,
		SecurityContext: containerSecurity{
			AllowPrivilegeEscalation: !r.NoNewPrivileges,
			Capabilities:             podCaps{Drop: []string{"ALL"}},
		},
	}
	if len(c.Name) > 63 || !dnsLabel.MatchString(c.Name) {
		c.Name = objectName(name)
	}
	for _, cp := range r.Capabilities.Bounding {
		c.SecurityContext.Capabilities.Add = append(c.SecurityContext.Capabilities.Add, strings.TrimPrefix(cp, "CAP_"))
	}
	if len(r.Capabilities.Ambient) > 0 {
		ns.add("capabilities.ambient", "Kubernetes has no ambient capabilities; dropped")
	}
	if u := r.User; u != nil {
		uid, gid := int64(u.UID), int64(u.GID)
		pod.Spec.SecurityContext.RunAsUser = &uid
		pod.Spec.SecurityContext.RunAsGroup = &gid
		for _, g := range u.Groups {
			pod.Spec.SecurityContext.SupplementalGroups = append(pod.Spec.SecurityContext.SupplementalGroups, int64(g))
		}
	}
	n := &r.Namespaces
	if n.UTS != nil && n.UTS.Enabled && n.UTS.Hostname != "" {
		if dnsLabel.MatchString(n.UTS.Hostname) && len(n.UTS.Hostname) <= 63 {
			pod.Spec.Hostname = n.UTS.Hostname
		} else {
			ns.add("namespaces.uts.hostname", "%q is not a DNS label, which a Pod's hostname must be; dropped", n.UTS.Hostname)
		}
	}
	if n.User != nil && n.User.Enabled {
		f := false
		pod.Spec.HostUsers = &f
		ns.add("namespaces.user", "written as hostUsers: false, which needs a cluster with user namespace support (UserNamespacesSupport, Kubernetes 1.30+ on Linux 6.3+)")
		if len(n.User.UIDMap)+len(n.User.GIDMap) > 0 {
			ns.add("namespaces.user", "Kubernetes picks the id mappings of a user namespace itself; the profile's maps are dropped")
		}
	}
	limits := map[string]string{}
	cg := &r.Cgroups
	if cg.Memory != nil && cg.Memory.Max != nil {
		limits["memory"] = strconv.FormatInt(*cg.Memory.Max, 10)
	}
	if cg.Memory != nil && (cg.Memory.High != nil || cg.Memory.SwapMax != nil) {
		ns.add("cgroups.memory", "a Pod has no memory.high or swap limit; dropped")
	}
	if cg.CPU != nil && cg.CPU.Max != nil {
		limits["cpu"] = strconv.FormatInt(int64(math.Ceil(*cg.CPU.Max*1000)), 10) + "m"
	}
	if cg.CPU != nil && cg.CPU.Weight != nil {
		ns.add("cgroups.cpu.weight", "Kubernetes derives the CPU weight from resources.requests.cpu; dropped")
	}
	if cg.Pids != nil && cg.Pids.Max != nil {
		ns.add("cgroups.pids.max", "a Pod has no pids limit of its own (the kubelet's podPidsLimit sets one for every Pod); dropped")
	}
	if cg.IO != nil {
		ns.add("cgroups.io", "Kubernetes has no I/O limits; dropped")
	}
	if len(limits) > 0 {
		c.Resources = &containerResources{Limits: limits}
	}
	if len(r.Rlimits) > 0 {
		ns.add("rlimits", "Kubernetes has no rlimits; the container runtime's defaults apply")
	}
	pod.Spec.Containers = []podContainer{c}
	out, err := marshalYAML(&pod)
	if err != nil {
		return nil, fmt.Errorf("write kubernetes objects: %w", err)
	}
	return out, nil
}

// flowWords writes lists of plain words inline ([read, write]), as people
// write manifests; numbers stay decimal, which every YAML reader takes.
func flowWords(n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.SequenceNode:
		if flowLists[key] {
			n.Style = yaml.FlowStyle
		}
		for _, c := range n.Content {
			flowWords(c, "")
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			flowWords(n.Content[i+1], n.Content[i].Value)
		}
	}
}
