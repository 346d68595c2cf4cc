package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	"gopkg.in/yaml.v3"

	"github.com/profilec/profilec/compiler"
	"github.com/profilec/profilec/convert"
	"github.com/profilec/profilec/policies/bases"
	"github.com/profilec/profilec/schema"
)

func init() { register(newConvertCmd) }

// convertFlags are convert's options.
type convertFlags struct {
	to, out        string
	bundle, rootfs string
	arch, kernel   string
	name           string
	namespace      string
	image          string
}

func newConvertCmd(a *app) *cobra.Command {
	var f convertFlags
	c := &cobra.Command{
		Use:   "convert IN [--to yaml|docker|oci|k8s|bpf] [-o OUT] [--bundle DIR --rootfs PATH] [-- ARG...]",
		Short: "Convert between profilec, Docker, OCI and Kubernetes formats",
		Long: `convert reads IN, whose kind it detects:

  a profilec profile (YAML), or the name of a built-in one (docker-default)
  a Docker seccomp profile (JSON; the old single "name" form, archMap, and
    containers/common's "defaultErrno"/"errno" names are read too)
  an OCI runtime-spec config.json, or its bare linux.seccomp object
  security-profiles-operator SeccompProfile objects (v1 or v1beta1, one or
    many YAML documents or the List kubectl get writes, baseProfileName
    resolved within the input)

and writes it as --to:

  yaml    a profilec profile (default for inputs that are not one); Docker
          conditions, comments and rule order are kept, and Docker's 14
          default capabilities are written out
  docker  a Docker seccomp profile (default for profilec profiles);
          extends are merged in and conditions kept, for Docker to resolve
          when the container starts
  oci     a runtime-spec config fragment (linux.seccomp, process.capabilities,
          rlimits, noNewPrivileges, user, hostname, namespaces, id mappings,
          linux.resources); with --bundle DIR --rootfs PATH a complete
          DIR/config.json that "runc run" accepts, running ARGs (default sh)
  k8s     a SeccompProfile for the security-profiles-operator and a Pod whose
          securityContext and resources reference it; with -o DIR also the
          Localhost profile file for the kubelet's seccomp directory
  bpf     the compiled seccomp program, raw (bwrap --seccomp)

Formats without conditions (oci, k8s, bpf) are resolved for --arch and
--kernel (default: this machine). Whatever a target format cannot say, and
whatever had to be resolved, is listed on standard error as a note: nothing
is dropped silently.

Exit statuses: 1 the input is refused, 2 usage, 3 other failures.`,
		Example: `  profilec convert docker.json -o app.yaml
  profilec convert app.yaml --to docker -o app.json
  profilec convert app.yaml --to oci --bundle ./bundle --rootfs rootfs -- /bin/sh -c 'id'
  profilec convert app.yaml --to k8s --namespace web --image nginx:1.27 -o k8s/
  profilec convert seccompprofiles.yaml --name web --to yaml
  profilec convert docker-default --to bpf --arch aarch64 -o default.bpf`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			var runArgs []string
			if i := cmd.ArgsLenAtDash(); i >= 0 {
				if i != 1 {
					return &exitError{code: exitUsage, err: errors.New("convert takes one input; arguments for the bundle's process go after --")}
				}
				runArgs = args[1:]
			} else if len(args) > 1 {
				return &exitError{code: exitUsage, err: errors.New("convert takes one input; arguments for the bundle's process go after --")}
			}
			return runConvert(a, in, runArgs, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.to, "to", "", "output format: yaml, docker, oci, k8s or bpf (default: yaml, or docker for a profilec profile)")
	fl.StringVarP(&f.out, "output", "o", "", "write to FILE (a directory for --to k8s) instead of standard output")
	fl.StringVar(&f.bundle, "bundle", "", "with --to oci: write a complete DIR/config.json for runc")
	fl.StringVar(&f.rootfs, "rootfs", "", "with --bundle: the bundle's root filesystem (relative to DIR, or absolute)")
	fl.StringVar(&f.arch, "arch", "", "target architecture for resolved formats (default: this machine's), e.g. x86_64, aarch64")
	fl.StringVar(&f.kernel, "kernel", "", "kernel version MAJOR.MINOR that minKernel conditions see (default: the running kernel)")
	fl.StringVar(&f.name, "name", "", "which SeccompProfile of several to read; with --to k8s, the objects' name")
	fl.StringVar(&f.namespace, "namespace", "", "with --to k8s: the objects' namespace (default: default)")
	fl.StringVar(&f.image, "image", "", "with --to k8s: the Pod's container image")
	return c
}

func runConvert(a *app, in string, runArgs []string, f convertFlags) error {
	if f.bundle != "" && f.to == "" {
		f.to = "oci"
	}
	switch f.to {
	case "", "yaml", "docker", "oci", "k8s", "bpf":
	default:
		return &exitError{code: exitUsage, err: fmt.Errorf("--to %q: want yaml, docker, oci, k8s or bpf", f.to)}
	}
	if (f.bundle != "" || f.rootfs != "") && f.to != "oci" {
		return &exitError{code: exitUsage, err: errors.New("--bundle and --rootfs go with --to oci")}
	}
	if (f.bundle == "") != (f.rootfs == "") {
		return &exitError{code: exitUsage, err: errors.New("--bundle DIR and --rootfs PATH go together")}
	}
	if f.bundle != "" && f.out != "" {
		return &exitError{code: exitUsage, err: errors.New("--bundle writes DIR/config.json; leave out -o")}
	}
	if len(runArgs) > 0 && f.bundle == "" {
		return &exitError{code: exitUsage, err: errors.New("arguments after -- are the bundle's process; they need --bundle")}
	}
	if (f.namespace != "" || f.image != "") && f.to != "k8s" {
		return &exitError{code: exitUsage, err: errors.New("--namespace and --image go with --to k8s")}
	}

	data, label, builtin, err := readConvertInput(in)
	if err != nil {
		return err
	}
	kind, err := convert.Detect(data)
	if err != nil {
		return &exitError{code: exitRefused, err: fmt.Errorf("convert %s: %w", label, err)}
	}
	var (
		chain []*schema.Profile
		notes []convert.Note
	)
	if kind == convert.KindProfile {
		if f.to == "" {
			f.to = "docker"
		}
		if builtin || in == "-" {
			chain, err = schema.LoadChainBytes(label, data, schemaOptions())
		} else {
			chain, err = schema.LoadChain(in, schemaOptions())
		}
		if err != nil {
			return &exitError{code: exitRefused, err: fmt.Errorf("convert %s: %w", label, err)}
		}
	} else {
		if f.to == "" {
			f.to = "yaml"
		}
		spoName := ""
		if kind == convert.KindSPO {
			spoName = f.name
		}
		p, _, ns, err := convert.Import(data, spoName)
		if err != nil {
			return &exitError{code: exitRefused, err: fmt.Errorf("convert %s: %w", label, err)}
		}
		notes = append(notes, ns...)
		if p.Name == "" {
			p.Name = profileName(in)
		}
		// What the readers produced goes through the strict loader, so
		// names no engine knows are refused here, not in the output.
		y, err := convert.ToYAML(p, "")
		if err == nil {
			p, err = schema.LoadBytes(label+" (converted)", y, schemaOptions())
		}
		if err != nil {
			return &exitError{code: exitRefused, err: fmt.Errorf("convert %s: %w", label, err)}
		}
		chain = []*schema.Profile{p}
	}
	last := chain[len(chain)-1]

	resolved := func() (*schema.Resolved, error) {
		t, err := target(f.arch, f.kernel)
		if err != nil {
			return nil, err
		}
		r, err := schema.Resolve(chain, t)
		if err != nil {
			return nil, &exitError{code: exitRefused, err: fmt.Errorf("convert %s: %w", label, err)}
		}
		return r, nil
	}

	var out []byte
	var ns []convert.Note
	switch f.to {
	case "yaml":
		if kind == convert.KindProfile {
			ns = append(ns, convert.Note{Msg: "rewritten in canonical form; YAML comments of the input are not kept (rule comments are)"})
		}
		if len(chain) > 1 {
			ns = append(ns, convert.Note{Msg: fmt.Sprintf("the profile keeps its extends (%s); they are not copied in", strings.Join(last.Extends, ", "))})
		}
		out, err = convert.ToYAML(last, fmt.Sprintf("Converted by profilec convert from %s (%s).", label, kind))
	case "docker":
		// Resolved only for the capability hints and the runc check:
		// the output keeps its conditions for Docker to resolve.
		var r *schema.Resolved
		if r, err = resolved(); err != nil {
			return err
		}
		out, ns, err = convert.ChainToDocker(chain, r)
	case "oci":
		var r *schema.Resolved
		if r, err = resolved(); err != nil {
			return err
		}
		out, ns, err = convert.ToOCI(r, convert.OCIOptions{
			Bundle: f.bundle != "", Rootfs: f.rootfs, Args: runArgs,
			HostUID: uint32(os.Getuid()), HostGID: uint32(os.Getgid()),
		})
	case "k8s":
		var r *schema.Resolved
		if r, err = resolved(); err != nil {
			return err
		}
		var k *convert.K8s
		k, ns, err = convert.ToK8s(r, convert.K8sOptions{Name: f.name, Namespace: f.namespace, Image: f.image})
		if err == nil {
			if f.out != "" && f.out != "-" {
				printNotes(a.stderr, append(notes, ns...))
				return writeK8s(a, f.out, k)
			}
			out = k.Manifests()
			ns = append(ns, convert.Note{Msg: "the Localhost profile file (for clusters without the operator) is written with -o DIR"})
		}
	case "bpf":
		if (f.out == "" || f.out == "-") && isTerminal(a.stdout) {
			return &exitError{code: exitUsage, err: errors.New("--to bpf writes a binary program; give -o FILE rather than fill the terminal")}
		}
		var r *schema.Resolved
		if r, err = resolved(); err != nil {
			return err
		}
		out, ns, err = convert.ToBPF(r, compiler.Options{})
	}
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return &exitError{code: exitRefused, err: fmt.Errorf("convert %s: %w", label, err)}
	}
	printNotes(a.stderr, append(notes, ns...))
	if f.bundle != "" {
		if err := os.MkdirAll(f.bundle, 0o755); err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("write bundle: %w", err)}
		}
		return writeOutput(a, filepath.Join(f.bundle, "config.json"), out)
	}
	return writeOutput(a, f.out, out)
}

// readConvertInput reads a file, standard input ("-"), or a built-in
// profile by name.
func readConvertInput(in string) (data []byte, label string, builtin bool, err error) {
	if in == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, schema.DefaultMaxBytes+1))
		if err != nil {
			return nil, "", false, &exitError{code: exitFailure, err: fmt.Errorf("read standard input: %w", err)}
		}
		if len(data) > schema.DefaultMaxBytes {
			return nil, "", false, &exitError{code: exitRefused, err: fmt.Errorf("read standard input: larger than %d bytes", schema.DefaultMaxBytes)}
		}
		return data, "<stdin>", false, nil
	}
	st, statErr := os.Stat(in)
	if statErr != nil {
		if b, ok := bases.Get(in); ok {
			return b, "builtin:" + in, true, nil
		}
		return nil, "", false, &exitError{code: exitRefused, err: fmt.Errorf("convert %s: neither a file nor a built-in profile (built-in: %s)", in, strings.Join(bases.Names(), ", "))}
	}
	if st.IsDir() {
		return nil, "", false, &exitError{code: exitRefused, err: fmt.Errorf("convert %s: is a directory", in)}
	}
	if st.Size() > schema.DefaultMaxBytes {
		return nil, "", false, &exitError{code: exitRefused, err: fmt.Errorf("convert %s: larger than %d bytes", in, schema.DefaultMaxBytes)}
	}
	data, err = os.ReadFile(in)
	if err != nil {
		return nil, "", false, &exitError{code: exitFailure, err: fmt.Errorf("read %s: %w", in, err)}
	}
	return data, in, false, nil
}

func profileName(in string) string {
	if in == "-" {
		return ""
	}
	return strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
}

func printNotes(w io.Writer, ns []convert.Note) {
	for _, n := range ns {
		fmt.Fprintf(w, "profilec convert: note: %s\n", n)
	}
}

func writeOutput(a *app, path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := a.stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("write output: %w", err)}
	}
	return nil
}

// writeK8s writes the three Kubernetes files into dir.
func writeK8s(a *app, dir string, k *convert.K8s) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("write output: %w", err)}
	}
	base := strings.TrimSuffix(filepath.Base(k.LocalhostPath), ".json")
	if k.LocalhostPath == "" {
		base = podName(k.Pod)
	}
	files := []struct {
		name string
		data []byte
	}{
		{base + ".seccompprofile.yaml", k.SeccompProfile},
		{base + ".json", k.Localhost},
		{base + ".pod.yaml", k.Pod},
	}
	var listing bytes.Buffer
	for _, f := range files {
		if f.data == nil {
			continue // no filter: neither a SeccompProfile nor a Localhost file
		}
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return &exitError{code: exitFailure, err: fmt.Errorf("write output: %w", err)}
		}
		fmt.Fprintln(&listing, p)
	}
	if k.LocalhostPath != "" {
		fmt.Fprintf(&listing, "# without the operator, copy %s to /var/lib/kubelet/seccomp/%s on every node\n", filepath.Join(dir, base+".json"), k.LocalhostPath)
	}
	_, err := a.stdout.Write(listing.Bytes())
	return err
}

// podName reads metadata.name back from the Pod ToK8s wrote, to name its
// file when there is no seccomp profile to name it after.
func podName(pod []byte) string {
	var p struct {
		Metadata struct{ Name string } `yaml:"metadata"`
	}
	if yaml.Unmarshal(pod, &p) != nil || p.Metadata.Name == "" {
		return "pod"
	}
	return p.Metadata.Name
}

// isTerminal reports whether w is a terminal, where raw BPF is only noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
