package convert

import "fmt"

// Note says what a conversion had to resolve, change or drop because the
// target format cannot say it. Notes never change the result; they exist so
// that nothing is lost silently. The CLI prints them on stderr.
type Note struct {
	// Path is the field of the source the note is about
	// ("seccomp.syscalls[3]", "cgroups.memory.high"); "" for the whole input.
	Path string `json:"path,omitempty"`
	Msg  string `json:"msg"`
}

func (n Note) String() string {
	if n.Path == "" {
		return n.Msg
	}
	return n.Path + ": " + n.Msg
}

// notes collects notes in the order a conversion makes them.
type notes []Note

func (ns *notes) add(path, format string, args ...any) {
	*ns = append(*ns, Note{Path: path, Msg: fmt.Sprintf(format, args...)})
}
