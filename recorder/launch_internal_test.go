package recorder

import "testing"

// auto picks ptrace on a kernel too old for the notify path, without
// trying it.
func TestNotifyKernel(t *testing.T) {
	for v, want := range map[string]bool{
		"4.19": false, "5.4": false, "5.7": false, "5.8": true, "5.15": true,
		"6.1": true, "10.0": true, "": true, "x": true,
	} {
		if got := notifyKernel(v); got != want {
			t.Errorf("notifyKernel(%q) = %v, want %v", v, got, want)
		}
	}
}
