package convert

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/schema"
)

// TestK8sSeccompProfileValid writes SeccompProfiles for every test input
// and target and validates each against the CRD's schema.
func TestK8sSeccompProfileValid(t *testing.T) {
	profiles := map[string]*schema.Profile{}
	for name, data := range dockerInputs(t) {
		p, err := FromDocker(data)
		if err != nil {
			t.Fatal(err)
		}
		p.Name = name
		profiles[name] = p
	}
	confined, err := schema.Load(filepath.Join("..", "testdata", "convert", "confined.yaml"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	profiles["confined"] = confined
	for name, p := range profiles {
		for _, tg := range targets {
			r := resolve(t, p, tg.Arch, tg.Kernel)
			k, _, err := ToK8s(r, K8sOptions{Namespace: "apps"})
			if err != nil {
				t.Fatalf("%s %v: %v", name, targetName(tg), err)
			}
			if errs := validateSeccompProfile(t, k.SeccompProfile); len(errs) > 0 {
				t.Errorf("%s %v: the CRD refuses the SeccompProfile:\n%s", name, targetName(tg), strings.Join(errs, "\n"))
			}
		}
	}
}

// TestK8sSeccompProfileVerdicts reads the SeccompProfile ToK8s wrote back
// with FromSPO: the filter must be the one the profile compiles to. And the
// Localhost file, read as the Docker JSON it is, must be too.
func TestK8sSeccompProfileVerdicts(t *testing.T) {
	for name, data := range dockerInputs(t) {
		t.Run(name, func(t *testing.T) {
			p, err := FromDocker(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, tg := range targets {
				r := resolve(t, p, tg.Arch, tg.Kernel)
				k, notes, err := ToK8s(r, K8sOptions{})
				if err != nil {
					t.Fatal(err)
				}
				back, _, err := FromSPO(k.SeccompProfile, "")
				if err != nil {
					t.Fatalf("read back: %v\n%s", err, k.SeccompProfile)
				}
				rb := resolve(t, reload(t, back), tg.Arch, tg.Kernel)
				if d := r.Seccomp.DefaultErrnoRet; d != nil && *d != 1 {
					// The CRD has no defaultErrnoRet: the default errno is
					// EPERM there, and a note must say so.
					if !hasNote(notes, "seccomp.defaultErrnoRet") {
						t.Errorf("%v: defaultErrnoRet %d dropped without a note", targetName(tg), *d)
					}
					v := *d
					rb.Seccomp.DefaultErrnoRet = &v
				}
				sameVerdicts(t, "SeccompProfile "+targetName(tg).String(), r.Seccomp.Architectures,
					[][]schema.SyscallRule{r.Seccomp.Syscalls, rb.Seccomp.Syscalls},
					progRunner(compileFor(t, r)), progRunner(compileFor(t, rb)))

				local, err := FromDocker(k.Localhost)
				if err != nil {
					t.Fatalf("the Localhost file is not a Docker profile: %v", err)
				}
				rl := resolve(t, local, tg.Arch, tg.Kernel)
				sameVerdicts(t, "Localhost "+targetName(tg).String(), r.Seccomp.Architectures,
					[][]schema.SyscallRule{r.Seccomp.Syscalls, rl.Seccomp.Syscalls},
					progRunner(compileFor(t, r)), progRunner(compileFor(t, rl)))
			}
		})
	}
}

func hasNote(ns []Note, path string) bool {
	for _, n := range ns {
		if n.Path == path {
			return true
		}
	}
	return false
}

// TestK8sPod checks the Pod references the Localhost profile and carries
// the rest of the profile: capabilities, privilege escalation, limits and
// hostname.
func TestK8sPod(t *testing.T) {
	p, err := schema.Load(filepath.Join("..", "testdata", "convert", "confined.yaml"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
	k, notes, err := ToK8s(r, K8sOptions{Namespace: "apps", Image: "busybox:1.36"})
	if err != nil {
		t.Fatal(err)
	}
	var pod struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct{ Name, Namespace string }
		Spec       struct {
			Hostname        string `yaml:"hostname"`
			SecurityContext struct {
				SeccompProfile struct {
					Type             string `yaml:"type"`
					LocalhostProfile string `yaml:"localhostProfile"`
				} `yaml:"seccompProfile"`
			} `yaml:"securityContext"`
			Containers []struct {
				Name            string
				Image           string
				SecurityContext struct {
					AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
					Capabilities             struct{ Drop, Add []string }
				} `yaml:"securityContext"`
				Resources struct {
					Limits map[string]string
				}
			}
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(string(k.Pod)))
	dec.KnownFields(true)
	if err := dec.Decode(&pod); err != nil {
		t.Fatalf("%v\n%s", err, k.Pod)
	}
	if pod.APIVersion != "v1" || pod.Kind != "Pod" || pod.Metadata.Name != "confined" || pod.Metadata.Namespace != "apps" {
		t.Errorf("pod header: %+v %+v", pod.Kind, pod.Metadata)
	}
	sp := pod.Spec.SecurityContext.SeccompProfile
	if sp.Type != "Localhost" || sp.LocalhostProfile != k.LocalhostPath || k.LocalhostPath != "operator/apps/confined.json" {
		t.Errorf("seccompProfile %+v, localhost path %q", sp, k.LocalhostPath)
	}
	if pod.Spec.Hostname != "pc-confined" {
		t.Errorf("hostname %q", pod.Spec.Hostname)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if c.Image != "busybox:1.36" {
		t.Errorf("image %q", c.Image)
	}
	if ape := c.SecurityContext.AllowPrivilegeEscalation; ape == nil || *ape {
		t.Errorf("allowPrivilegeEscalation = %v, want false (noNewPrivileges is true)", ape)
	}
	if !slices.Equal(c.SecurityContext.Capabilities.Drop, []string{"ALL"}) ||
		!slices.Equal(c.SecurityContext.Capabilities.Add, []string{"CHOWN", "KILL", "NET_BIND_SERVICE", "SETUID"}) {
		t.Errorf("capabilities %+v", c.SecurityContext.Capabilities)
	}
	if c.Resources.Limits["memory"] != "67108864" {
		t.Errorf("limits %v", c.Resources.Limits)
	}
	for _, path := range []string{"cgroups.pids.max", "rlimits"} {
		if !hasNote(notes, path) {
			t.Errorf("no note says %s was dropped: %v", path, notes)
		}
	}
}

func TestK8sRefuses(t *testing.T) {
	p, err := FromDocker([]byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
	if _, _, err := ToK8s(r, K8sOptions{}); err == nil || !strings.Contains(err.Error(), "int64") {
		t.Errorf("a value beyond the CRD's int64: %v", err)
	}
	if _, _, err := ToK8s(r, K8sOptions{Name: "Not_A_Name"}); err == nil {
		t.Error("an invalid object name was accepted")
	}
	if got := objectName("My Web_Server!!"); got != "my-web-server" {
		t.Errorf("objectName = %q", got)
	}
}

// TestK8sArchOutsideCRD: an architecture the CRD's enum lacks is left out
// of the SeccompProfile with a note, and kept in the Localhost file.
func TestK8sArchOutsideCRD(t *testing.T) {
	p, err := FromDocker([]byte(`{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_LOONGARCH64"], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
	k, notes, err := ToK8s(r, K8sOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validateSeccompProfile(t, k.SeccompProfile); len(errs) > 0 {
		t.Errorf("refused by the CRD: %v", errs)
	}
	if !hasNote(notes, "seccomp.architectures") || strings.Contains(string(k.SeccompProfile), "LOONGARCH") {
		t.Errorf("LOONGARCH64 not left out with a note: %v\n%s", notes, k.SeccompProfile)
	}
	if !strings.Contains(string(k.Localhost), "SCMP_ARCH_LOONGARCH64") {
		t.Errorf("the Localhost file lost an architecture:\n%s", k.Localhost)
	}
}

func TestK8sPodRich(t *testing.T) {
	p, err := schema.LoadBytes("rich.yaml", readTestdata(t, "rich.yaml"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
	k, notes, err := ToK8s(r, K8sOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validateSeccompProfile(t, k.SeccompProfile); len(errs) > 0 {
		t.Errorf("refused by the CRD: %v", errs)
	}
	pod := string(k.Pod)
	for _, want := range []string{
		"name: rich-profile\n", "namespace: default\n", "hostname: rich-host\n", "hostUsers: false\n",
		"runAsUser: 1000\n", "runAsGroup: 1000\n", "supplementalGroups:\n      - 10\n      - 20\n",
		"allowPrivilegeEscalation: true\n", "cpu: 250m\n", "memory: \"268435456\"\n",
		"localhostProfile: operator/default/rich-profile.json\n", "image: REPLACE-WITH-YOUR-IMAGE\n",
	} {
		if !strings.Contains(pod, want) {
			t.Errorf("the Pod lacks %q:\n%s", want, pod)
		}
	}
	if !strings.Contains(string(k.SeccompProfile), "description: every mapped field") {
		t.Errorf("the description is not kept as an annotation:\n%s", k.SeccompProfile)
	}
	for _, path := range []string{"capabilities.ambient", "namespaces.user", "cgroups.memory", "cgroups.cpu.weight", "cgroups.pids.max", "cgroups.io", "rlimits", "pod"} {
		if !hasNote(notes, path) {
			t.Errorf("no note on %s", path)
		}
	}
	p.Namespaces.UTS.Hostname = "Not_A_Label"
	r = resolve(t, p, "SCMP_ARCH_X86_64", "6.1")
	k, notes, err = ToK8s(r, K8sOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(k.Pod), "hostname:") || !hasNote(notes, "namespaces.uts.hostname") {
		t.Errorf("an invalid hostname must be dropped with a note:\n%s", k.Pod)
	}
}

func TestK8sDefaultErrnoNote(t *testing.T) {
	for _, c := range []struct {
		errno uint
		note  bool
	}{{1, false}, {38, true}} {
		p, err := FromDocker([]byte(fmt.Sprintf(`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": %d}`, c.errno)))
		if err != nil {
			t.Fatal(err)
		}
		_, notes, err := ToK8s(resolve(t, p, "SCMP_ARCH_X86_64", "6.1"), K8sOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if hasNote(notes, "seccomp.defaultErrnoRet") != c.note {
			t.Errorf("defaultErrnoRet %d: note %v, want %v", c.errno, !c.note, c.note)
		}
	}
}

// TestK8sUnconfined: a profile without a filter still has a Pod to carry
// its capabilities and limits, marked Unconfined.
func TestK8sUnconfined(t *testing.T) {
	p, err := schema.LoadBytes("n.yaml", []byte("version: 1\nname: nofilter\ncapabilities: {add: [CAP_KILL]}\ncgroups: {memory: {max: 1Gi}}\n"), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	k, notes, err := ToK8s(resolve(t, p, "SCMP_ARCH_X86_64", "6.1"), K8sOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if k.SeccompProfile != nil || k.Localhost != nil || !hasNote(notes, "seccomp") {
		t.Errorf("objects for a profile without a filter: %q %q %v", k.SeccompProfile, k.Localhost, notes)
	}
	m := string(k.Manifests())
	for _, want := range []string{"type: Unconfined\n", "add: [KILL]", "memory: \"1073741824\""} {
		if !strings.Contains(m, want) {
			t.Errorf("the Pod lacks %q:\n%s", want, m)
		}
	}
	if strings.Contains(m, "localhostProfile") || strings.Contains(m, "SeccompProfile") {
		t.Errorf("an Unconfined Pod references a profile:\n%s", m)
	}
}
