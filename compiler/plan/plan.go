// Package plan is the launch plan: the one contract between the compiler, which writes it, and the enforcer, which applies it.
package plan

// Version is the plan format version. A reader refuses plans of another
// version rather than guess.
const Version = 1

// Plan is everything the enforcer needs to confine one process tree. It holds
// no YAML and no conditions: every decision was made by the compiler.
type Plan struct {
	Version       int    `json:"version"`
	ProfileDigest string `json:"profileDigest"` // "sha256:..." of the resolved profile JSON
	Name          string `json:"name,omitempty"`
	// Arch is the native architecture the plan was compiled for ("SCMP_ARCH_X86_64").
	Arch string `json:"arch"`

	Seccomp         *Seccomp     `json:"seccomp,omitempty"` // nil: no filter
	Capabilities    Capabilities `json:"capabilities"`
	Namespaces      Namespaces   `json:"namespaces"`
	Cgroup          *Cgroup      `json:"cgroup,omitempty"` // nil: no cgroup is created
	Rlimits         []Rlimit     `json:"rlimits,omitempty"`
	NoNewPrivileges bool         `json:"noNewPrivileges"`
	User            *User        `json:"user,omitempty"`
}

// Instruction is one struct sock_filter.
type Instruction struct {
	Code uint16 `json:"code"`
	Jt   uint8  `json:"jt"`
	Jf   uint8  `json:"jf"`
	K    uint32 `json:"k"`
}

// Seccomp is the compiled filter and how to install it.
type Seccomp struct {
	Program []Instruction `json:"program"`
	// Flags are SECCOMP_FILTER_FLAG_* names (LOG, SPEC_ALLOW, NEW_LISTENER,
	// WAIT_KILLABLE_RECV, ...). TSYNC is never needed: the filter is
	// installed on the one thread that execs.
	Flags            []string `json:"flags,omitempty"`
	ListenerPath     string   `json:"listenerPath,omitempty"`
	ListenerMetadata string   `json:"listenerMetadata,omitempty"`
	Architectures    []string `json:"architectures"`
	DefaultAction    string   `json:"defaultAction"`
}

// Capabilities are the five sets, canonical names ("CAP_CHOWN").
type Capabilities struct {
	Bounding    []string `json:"bounding"`
	Effective   []string `json:"effective"`
	Permitted   []string `json:"permitted"`
	Inheritable []string `json:"inheritable"`
	Ambient     []string `json:"ambient"`
}

// Namespaces says which namespaces to create (unshare) for the target.
type Namespaces struct {
	User     bool    `json:"user,omitempty"`
	PID      bool    `json:"pid,omitempty"`
	Mount    bool    `json:"mount,omitempty"`
	UTS      bool    `json:"uts,omitempty"`
	IPC      bool    `json:"ipc,omitempty"`
	Net      bool    `json:"net,omitempty"`
	Cgroup   bool    `json:"cgroup,omitempty"`
	Time     bool    `json:"time,omitempty"`
	Hostname string  `json:"hostname,omitempty"`
	UIDMap   []IDMap `json:"uidMap,omitempty"` // empty with User: caller -> 0
	GIDMap   []IDMap `json:"gidMap,omitempty"`
}

// IDMap is one line of uid_map/gid_map.
type IDMap struct {
	ContainerID uint32 `json:"containerID"`
	HostID      uint32 `json:"hostID"`
	Size        uint32 `json:"size"`
}

// Cgroup holds abstract limits; the enforcer maps them onto cgroup v1 or v2
// files when it applies them. Zero/nil fields are unset.
type Cgroup struct {
	MemoryMax     *int64   `json:"memoryMax,omitempty"`
	MemoryHigh    *int64   `json:"memoryHigh,omitempty"`
	MemorySwapMax *int64   `json:"memorySwapMax,omitempty"`
	CPUMax        *float64 `json:"cpuMax,omitempty"` // CPUs
	CPUWeight     *uint64  `json:"cpuWeight,omitempty"`
	PidsMax       *int64   `json:"pidsMax,omitempty"`
	IOWeight      *uint64  `json:"ioWeight,omitempty"`
	IOMax         []IOMax  `json:"ioMax,omitempty"`
	// Optional: limits that cannot be applied without delegation are
	// skipped (and reported) instead of failing the launch.
	Optional bool `json:"optional,omitempty"`
}

// IOMax throttles one block device "MAJ:MIN".
type IOMax struct {
	Device string `json:"device"`
	RBps   uint64 `json:"rbps,omitempty"`
	WBps   uint64 `json:"wbps,omitempty"`
	RIOps  uint64 `json:"riops,omitempty"`
	WIOps  uint64 `json:"wiops,omitempty"`
}

// Rlimit is setrlimit(Resource, {Soft, Hard}); Name is "nofile", "nproc", ...
type Rlimit struct {
	Name string `json:"name"`
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// User is the target's credentials.
type User struct {
	UID    uint32   `json:"uid"`
	GID    uint32   `json:"gid"`
	Groups []uint32 `json:"groups,omitempty"`
}
