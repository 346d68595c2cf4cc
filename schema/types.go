package schema

// Pos is a place in a profile file. Line and Col are 1-based; a zero Pos means
// the value did not come from a file (a built-in default, say).
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// Profile is one profile file as written, before extends and conditions are
// applied. Field names follow the YAML language (docs/profile.md).
type Profile struct {
	Version          int               `json:"version" yaml:"version"`
	Name             string            `json:"name,omitempty" yaml:"name,omitempty"`
	Description      string            `json:"description,omitempty" yaml:"description,omitempty"`
	Extends          []string          `json:"extends,omitempty" yaml:"extends,omitempty"`
	Seccomp          *Seccomp          `json:"seccomp,omitempty" yaml:"seccomp,omitempty"`
	Capabilities     *Capabilities     `json:"capabilities,omitempty" yaml:"capabilities,omitempty"`
	Namespaces       *Namespaces       `json:"namespaces,omitempty" yaml:"namespaces,omitempty"`
	Cgroups          *Cgroups          `json:"cgroups,omitempty" yaml:"cgroups,omitempty"`
	Rlimits          map[string]Rlimit `json:"rlimits,omitempty" yaml:"rlimits,omitempty"`
	NoNewPrivileges  *bool             `json:"noNewPrivileges,omitempty" yaml:"noNewPrivileges,omitempty"`
	User             *User             `json:"user,omitempty" yaml:"user,omitempty"`
	PolicyExceptions []PolicyException `json:"policyExceptions,omitempty" yaml:"policyExceptions,omitempty"`

	// File is the path the profile was read from ("builtin:NAME" for a base).
	File string `json:"-" yaml:"-"`
	// Pos is where the document starts; ExtendsPos[i] is where Extends[i]
	// is written.
	Pos        Pos   `json:"-" yaml:"-"`
	ExtendsPos []Pos `json:"-" yaml:"-"`
}

// Seccomp is a superset of Docker's seccomp JSON object. After loading, every
// spelling is canonical Docker vocabulary: actions "SCMP_ACT_*", ops
// "SCMP_CMP_*", architectures "SCMP_ARCH_*", errnos as numbers.
type Seccomp struct {
	DefaultAction    string         `json:"defaultAction,omitempty" yaml:"defaultAction,omitempty"`
	DefaultErrnoRet  *uint          `json:"defaultErrnoRet,omitempty" yaml:"defaultErrnoRet,omitempty"`
	Architectures    []string       `json:"architectures,omitempty" yaml:"architectures,omitempty"`
	ArchMap          []ArchMapEntry `json:"archMap,omitempty" yaml:"archMap,omitempty"`
	Flags            []string       `json:"flags,omitempty" yaml:"flags,omitempty"`
	ListenerPath     string         `json:"listenerPath,omitempty" yaml:"listenerPath,omitempty"`
	ListenerMetadata string         `json:"listenerMetadata,omitempty" yaml:"listenerMetadata,omitempty"`
	Syscalls         []SyscallRule  `json:"syscalls,omitempty" yaml:"syscalls,omitempty"`
	Pos              Pos            `json:"-" yaml:"-"`
}

// ArchMapEntry names a native architecture and the sub-architectures a
// filter for it also covers.
type ArchMapEntry struct {
	Architecture     string   `json:"architecture" yaml:"architecture"`
	SubArchitectures []string `json:"subArchitectures" yaml:"subArchitectures"`
}

// SyscallRule is one entry of seccomp.syscalls. The old single `name` is
// folded into Names by the loader.
type SyscallRule struct {
	Names    []string `json:"names" yaml:"names"`
	Action   string   `json:"action" yaml:"action"`
	ErrnoRet *uint    `json:"errnoRet,omitempty" yaml:"errnoRet,omitempty"`
	Args     []Arg    `json:"args,omitempty" yaml:"args,omitempty"`
	Comment  string   `json:"comment,omitempty" yaml:"comment,omitempty"`
	Includes *Filter  `json:"includes,omitempty" yaml:"includes,omitempty"`
	Excludes *Filter  `json:"excludes,omitempty" yaml:"excludes,omitempty"`
	// Pos is where the rule starts; NamePos[i] is where Names[i] is written.
	Pos     Pos   `json:"-" yaml:"-"`
	NamePos []Pos `json:"-" yaml:"-"`
}

// Arg is an argument condition, as in Docker and the OCI runtime-spec.
type Arg struct {
	Index    uint   `json:"index" yaml:"index"`
	Value    uint64 `json:"value" yaml:"value"`
	ValueTwo uint64 `json:"valueTwo,omitempty" yaml:"valueTwo,omitempty"`
	Op       string `json:"op" yaml:"op"`
}

// Filter is a rule condition (Docker's includes/excludes).
type Filter struct {
	Caps      []string `json:"caps,omitempty" yaml:"caps,omitempty"`
	Arches    []string `json:"arches,omitempty" yaml:"arches,omitempty"`
	MinKernel string   `json:"minKernel,omitempty" yaml:"minKernel,omitempty"`
}

// Capabilities changes the inherited capability set: Drop first, then Add;
// as in Docker, Add "ALL" grants all but this profile's own drops. Names are
// canonical ("CAP_CHOWN") after loading; "ALL" is kept as is.
type Capabilities struct {
	Add     []string `json:"add,omitempty" yaml:"add,omitempty"`
	Drop    []string `json:"drop,omitempty" yaml:"drop,omitempty"`
	Ambient []string `json:"ambient,omitempty" yaml:"ambient,omitempty"`
	Pos     Pos      `json:"-" yaml:"-"`
	// AmbientPos[i] is where Ambient[i] is written.
	AmbientPos []Pos `json:"-" yaml:"-"`
}

// Namespaces lists the namespaces the target gets. A nil field is inherited
// (or off); Enabled false switches an inherited namespace off.
type Namespaces struct {
	User   *UserNS `json:"user,omitempty" yaml:"user,omitempty"`
	PID    *NS     `json:"pid,omitempty" yaml:"pid,omitempty"`
	Mount  *NS     `json:"mount,omitempty" yaml:"mount,omitempty"`
	UTS    *UTSNS  `json:"uts,omitempty" yaml:"uts,omitempty"`
	IPC    *NS     `json:"ipc,omitempty" yaml:"ipc,omitempty"`
	Net    *NS     `json:"net,omitempty" yaml:"net,omitempty"`
	Cgroup *NS     `json:"cgroup,omitempty" yaml:"cgroup,omitempty"`
	Time   *NS     `json:"time,omitempty" yaml:"time,omitempty"`
	Pos    Pos     `json:"-" yaml:"-"`
}

// NS is a namespace written as true/false.
type NS struct {
	Enabled bool `json:"enabled" yaml:"enabled"`
}

// UTSNS is a UTS namespace, optionally with a hostname.
type UTSNS struct {
	Enabled  bool   `json:"enabled" yaml:"enabled"`
	Hostname string `json:"hostname,omitempty" yaml:"hostname,omitempty"`
}

// UserNS is a user namespace with optional id maps. With no maps the caller
// is mapped to root inside.
type UserNS struct {
	Enabled bool    `json:"enabled" yaml:"enabled"`
	UIDMap  []IDMap `json:"uidMap,omitempty" yaml:"uidMap,omitempty"`
	GIDMap  []IDMap `json:"gidMap,omitempty" yaml:"gidMap,omitempty"`
}

// IDMap is one line of /proc/PID/uid_map or gid_map.
type IDMap struct {
	ContainerID uint32 `json:"containerID" yaml:"containerID"`
	HostID      uint32 `json:"hostID" yaml:"hostID"`
	Size        uint32 `json:"size" yaml:"size"`
}

// Cgroups holds resource limits, normalised by the loader: bytes for sizes,
// CPUs (1.5 = one and a half) for cpu.max. Nil means unset.
type Cgroups struct {
	Memory *MemoryLimits `json:"memory,omitempty" yaml:"memory,omitempty"`
	CPU    *CPULimits    `json:"cpu,omitempty" yaml:"cpu,omitempty"`
	Pids   *PidsLimits   `json:"pids,omitempty" yaml:"pids,omitempty"`
	IO     *IOLimits     `json:"io,omitempty" yaml:"io,omitempty"`
	// Optional lets a rootless run without cgroup delegation skip these
	// limits (reported) instead of failing.
	Optional bool `json:"optional,omitempty" yaml:"optional,omitempty"`
	Pos      Pos  `json:"-" yaml:"-"`
	// OptionalPos is where optional is written; zero when it is not, so a
	// later profile that says nothing keeps the inherited value.
	OptionalPos Pos `json:"-" yaml:"-"`
}

// MemoryLimits in bytes.
type MemoryLimits struct {
	Max     *int64 `json:"max,omitempty" yaml:"max,omitempty"`
	High    *int64 `json:"high,omitempty" yaml:"high,omitempty"`
	SwapMax *int64 `json:"swapMax,omitempty" yaml:"swapMax,omitempty"`
}

// CPULimits: Max in CPUs, Weight 1-10000 as cgroup v2 cpu.weight.
type CPULimits struct {
	Max    *float64 `json:"max,omitempty" yaml:"max,omitempty"`
	Weight *uint64  `json:"weight,omitempty" yaml:"weight,omitempty"`
}

// PidsLimits caps the number of tasks.
type PidsLimits struct {
	Max *int64 `json:"max,omitempty" yaml:"max,omitempty"`
}

// IOLimits: a weight 1-10000 and per-device throttles.
type IOLimits struct {
	Weight *uint64    `json:"weight,omitempty" yaml:"weight,omitempty"`
	Max    []IODevice `json:"max,omitempty" yaml:"max,omitempty"`
}

// IODevice throttles one block device ("8:0"). Zero means unlimited.
type IODevice struct {
	Device string `json:"device" yaml:"device"`
	RBps   uint64 `json:"rbps,omitempty" yaml:"rbps,omitempty"`
	WBps   uint64 `json:"wbps,omitempty" yaml:"wbps,omitempty"`
	RIOps  uint64 `json:"riops,omitempty" yaml:"riops,omitempty"`
	WIOps  uint64 `json:"wiops,omitempty" yaml:"wiops,omitempty"`
}

// Rlimit is a resource limit; Unlimited is math.MaxUint64 (RLIM_INFINITY).
type Rlimit struct {
	Soft uint64 `json:"soft" yaml:"soft"`
	Hard uint64 `json:"hard" yaml:"hard"`
}

// User is who the target runs as.
type User struct {
	UID    uint32   `json:"uid" yaml:"uid"`
	GID    uint32   `json:"gid" yaml:"gid"`
	Groups []uint32 `json:"groups,omitempty" yaml:"groups,omitempty"`
}

// PolicyException waives a policy rule by id; waivers are always reported.
type PolicyException struct {
	ID     string `json:"id" yaml:"id"`
	Reason string `json:"reason" yaml:"reason"`
	Pos    Pos    `json:"-" yaml:"-"`
}
