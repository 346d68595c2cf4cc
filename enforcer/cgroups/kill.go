package cgroups

import "github.com/profilec/profilec/enforcer/internal/sys"

func killPid(p int) error { return sys.Kill(p, sys.SIGKILL) }
