package enforcer_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/profilec/profilec/enforcer"
	"github.com/profilec/profilec/internal/testenv"
)

func TestCancelledContext(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireFile(t, busybox)
	defer requireClean(t, "")
	touched := t.TempDir() + "/ran"

	// Cancelled before the launch: the target never runs.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := enforcer.Run(ctx, fullPlan(t), []string{busybox, "touch", touched}, enforcer.Options{})
	var se *enforcer.StepError
	if !errors.As(err, &se) || !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context = %v, want a StepError wrapping context.Canceled", err)
	}

	// Cancelled while the target runs: the tree is killed and said so.
	mark, bb := marker(t)
	defer requireClean(t, mark)
	ctx, cancel = context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan struct{})
	var res enforcer.Result
	go func() {
		defer close(done)
		res, err = enforcer.Run(ctx, fullPlan(t), []string{busybox, "sh", "-c", bb + " sleep 1000 & echo up; " + bb + " sleep 1000"},
			enforcer.Options{Stdout: &out, Env: []string{"PATH=/bin"}})
	}()
	for i := 0; i < 500 && len(processesWith(mark)) < 2; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if err != nil || res.ExitCode != 137 || !strings.Contains(res.Report, "cancelled") {
		t.Errorf("Run = %+v, %v; want killed (137) and reported as cancelled", res, err)
	}
}
