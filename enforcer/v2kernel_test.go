package enforcer_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/enforcer/cgroups"
	"github.com/profilec/profilec/internal/testenv"
)

// unified is this host's cgroup2 mount, which has no controllers (they
// are all on v1) but every core file: cgroup.procs, cgroup.kill,
// cgroup.events. That is enough to run the v2 driver's launch path on the
// kernel: CLONE_INTO_CGROUP and cgroup.kill; its limits are tested on a
// fake tree in package cgroups.
const unified = "/sys/fs/cgroup/unified"

func TestCgroupV2LaunchOnTheKernel(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireFile(t, unified+"/cgroup.procs")
	if v, err := cgroups.Detect(unified); err != nil || v != 2 {
		testenv.Skip(t, unified+" is not a cgroup2 mount")
	}

	p := fullPlan(t)
	p.Cgroup = &plan.Cgroup{} // no controller is delegated here: no limits
	mark, bb := marker(t)
	defer requireClean(t, mark)
	o := run(t, p, []string{busybox, "sh", "-c", "(" + bb + " sleep 1000 &); cat /proc/self/cgroup"}, enforcer.Options{CgroupMount: unified})
	if o.err != nil {
		t.Fatal(o.err)
	}
	// Born inside (CLONE_INTO_CGROUP) and, with a cgroup namespace made
	// at clone, seeing its own cgroup as the root.
	if !regexp.MustCompile(`(?m)^0::/$`).MatchString(o.stdout) {
		t.Errorf("target's cgroups:\n%s\nwant 0::/ (its own cgroup, as its namespace root)", o.stdout)
	}

	// Without a pid namespace only cgroup.kill can reach the sleep that
	// double-forked away from the target.
	noPid := fullPlan(t)
	noPid.Namespaces.PID, noPid.Namespaces.Mount = false, false
	noPid.Cgroup = &plan.Cgroup{}
	mark2, bb2 := marker(t)
	defer requireClean(t, mark2)
	o = run(t, noPid, []string{busybox, "sh", "-c", "(" + bb2 + " sleep 1000 &); echo started"}, enforcer.Options{CgroupMount: unified})
	if o.err != nil || o.stdout != "started\n" {
		t.Fatalf("Run without a pid namespace: %v %q", o.err, o.stdout)
	}
	if pids := processesWith(mark2); len(pids) > 0 {
		t.Errorf("processes %v survived cgroup.kill", pids)
	}

	// Limits need controllers this hierarchy does not have: a clear
	// error naming one, or a run with the skip reported when optional.
	p.Cgroup = &plan.Cgroup{PidsMax: i64(10)}
	o = run(t, p, []string{busybox, "true"}, enforcer.Options{CgroupMount: unified})
	var se *enforcer.StepError
	if !errors.As(o.err, &se) || se.Step != "cgroup" || !strings.Contains(se.Error(), "pids") {
		t.Errorf("pids limit without the controller: %+v, %v; want a cgroup step error naming pids", o.res, o.err)
	}
	p.Cgroup.Optional = true
	o = run(t, p, []string{busybox, "true"}, enforcer.Options{CgroupMount: unified})
	if o.err != nil || len(o.res.Skipped) == 0 {
		t.Errorf("optional pids limit: %+v, %v; want a run with the skip reported", o.res, o.err)
	}
}
