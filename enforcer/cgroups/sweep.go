package cgroups

import (
	"os"
	"path"
	"strconv"

	"github.com/profilec/profilec/enforcer/internal/text"

	"github.com/profilec/profilec/enforcer/internal/sys"
)

// Sweep removes the cgroups a previous profilec left behind when it was
// killed before it could clean up (SIGKILL, OOM, power loss of the
// supervisor only): empty directories under profilec/ whose creator
// (the pid their name starts with) no longer exists. A live creator's
// cgroups are never touched, even when empty: it may be about to use
// them. It returns what it removed and ignores what it cannot remove.
func Sweep(mount string) []string {
	if mount == "" {
		mount = DefaultMount
	}
	var parents []string
	if isCgroup2(mount) {
		parents = []string{path.Join(mount, Parent)}
	} else {
		// Not filepath.Glob(mount/*/profilec): that lists every
		// hierarchy's root directory (dozens of control files each) just
		// to find one name; naming it directly is one lookup per
		// hierarchy, and a missing one fails at ReadDir below.
		roots, _ := os.ReadDir(mount)
		for _, r := range roots {
			parents = append(parents, path.Join(mount, r.Name(), Parent))
		}
	}
	return SweepParents(parents)
}

// SweepParents is Sweep of the given profilec/ directories only: a launch
// sweeps the hierarchies it used, a few directory reads instead of one per
// hierarchy on the machine, and leftovers elsewhere go with the next
// launch that uses those.
func SweepParents(parents []string) []string {
	var removed []string
	for _, parent := range parents {
		ents, err := os.ReadDir(parent)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			pidStr, _, ok := text.Cut(e.Name(), "-")
			pid, err := strconv.Atoi(pidStr)
			if !ok || err != nil || pid <= 0 {
				continue
			}
			if sys.Kill(pid, 0) != sys.ESRCH {
				continue // creator alive (or not ours to judge)
			}
			dir := path.Join(parent, e.Name())
			if pids, err := readPids(dir); err != nil || len(pids) > 0 {
				continue
			}
			if sys.Rmdir(dir) == nil {
				removed = append(removed, dir)
			}
		}
	}
	return removed
}

func isCgroup2(path string) bool {
	var st sys.Statfs_t
	return sys.Statfs(path, &st) == nil && st.Type == sys.CGROUP2_SUPER_MAGIC
}
