// Package cgroups creates one cgroup per confined process tree, maps the plan's abstract limits onto cgroup v1 or v2 files, and kills, measures and removes it.
package cgroups
