// Package bench compares the launch cost of profilec exec with runc and bwrap under one confinement; run it with PROFILEC_BENCH=1 go test ./enforcer/bench -run TestCompareLaunch -v -count=1.
package bench
