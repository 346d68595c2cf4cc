package schema

// Target is what conditions are resolved against.
type Target struct {
	// Arch is the native architecture as a libseccomp name ("SCMP_ARCH_X86_64").
	Arch string `json:"arch"`
	// Kernel is "MAJOR.MINOR".
	Kernel string `json:"kernel"`
}

// Resolved is a profile with extends applied, defaults filled in and
// includes/excludes resolved for one Target. It is what the compiler and the
// policies see, and what `compile --format resolved` prints.
type Resolved struct {
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Sources     []string `json:"sources"` // files in extends order, the profile itself last
	Target      Target   `json:"target"`

	Seccomp         ResolvedSeccomp   `json:"seccomp"`
	Capabilities    CapSets           `json:"capabilities"`
	Namespaces      Namespaces        `json:"namespaces"`
	Cgroups         Cgroups           `json:"cgroups"`
	Rlimits         map[string]Rlimit `json:"rlimits,omitempty"`
	NoNewPrivileges bool              `json:"noNewPrivileges"`
	User            *User             `json:"user,omitempty"`

	PolicyExceptions []PolicyException `json:"policyExceptions,omitempty"`
}

// ResolvedSeccomp is the OCI runtime-spec's linux.seccomp as Docker would
// hand it to runc: architectures expanded, conditions gone.
type ResolvedSeccomp struct {
	// Enabled is false when the profile has no seccomp section at all.
	Enabled          bool          `json:"enabled"`
	DefaultAction    string        `json:"defaultAction"`
	DefaultErrnoRet  *uint         `json:"defaultErrnoRet,omitempty"`
	Architectures    []string      `json:"architectures"`
	Flags            []string      `json:"flags,omitempty"`
	ListenerPath     string        `json:"listenerPath,omitempty"`
	ListenerMetadata string        `json:"listenerMetadata,omitempty"`
	Syscalls         []SyscallRule `json:"syscalls"` // Includes/Excludes nil
}

// CapSets are the five capability sets of the target, canonical names sorted.
type CapSets struct {
	Bounding    []string `json:"bounding"`
	Effective   []string `json:"effective"`
	Permitted   []string `json:"permitted"`
	Inheritable []string `json:"inheritable"`
	Ambient     []string `json:"ambient"`
}
