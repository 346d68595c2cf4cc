// Package text has the few string functions the launch path needs,
// without package strings: the launch runs from the CLI's package
// initialisation, and strings is initialised only after some 50 other
// packages there (see package sys). Case and space are ASCII's, which is
// all procfs, cgroupfs and profilec's own names use.
package text

import "strconv"

// IndexByte is the index of the first c in s, or -1.
func IndexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// Index is the index of the first sub in s, or -1.
func Index(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// Contains reports whether sub is in s.
func Contains(s, sub string) bool { return Index(s, sub) >= 0 }

// HasPrefix reports whether s begins with p.
func HasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// HasSuffix reports whether s ends with p.
func HasSuffix(s, p string) bool { return len(s) >= len(p) && s[len(s)-len(p):] == p }

// TrimPrefix is s without a leading p.
func TrimPrefix(s, p string) string {
	if HasPrefix(s, p) {
		return s[len(p):]
	}
	return s
}

// TrimSuffix is s without a trailing p.
func TrimSuffix(s, p string) string {
	if HasSuffix(s, p) {
		return s[:len(s)-len(p)]
	}
	return s
}

// CutPrefix is TrimPrefix, saying whether p was there.
func CutPrefix(s, p string) (string, bool) {
	if HasPrefix(s, p) {
		return s[len(p):], true
	}
	return s, false
}

// Cut splits s around the first sep.
func Cut(s, sep string) (before, after string, found bool) {
	if i := Index(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// TrimSpace is s without leading and trailing ASCII white space.
func TrimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func in(c byte, set string) bool { return IndexByte(set, c) >= 0 }

// Trim is s without leading and trailing bytes of cutset.
func Trim(s, cutset string) string {
	i, j := 0, len(s)
	for i < j && in(s[i], cutset) {
		i++
	}
	for j > i && in(s[j-1], cutset) {
		j--
	}
	return s[i:j]
}

// TrimRight is s without trailing bytes of cutset.
func TrimRight(s, cutset string) string {
	j := len(s)
	for j > 0 && in(s[j-1], cutset) {
		j--
	}
	return s[:j]
}

// Split is s cut at every sep (non-empty).
func Split(s, sep string) []string {
	var out []string
	for {
		i := Index(s, sep)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+len(sep):]
	}
}

// Fields is s split around runs of ASCII white space.
func Fields(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		if j > i {
			out = append(out, s[i:j])
		}
		i = j
	}
	return out
}

// Join is elems with sep between them.
func Join(elems []string, sep string) string {
	var b []byte
	for i, e := range elems {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, e...)
	}
	return string(b)
}

// ToUpper maps ASCII a-z to A-Z.
func ToUpper(s string) string { return mapASCII(s, 'a', 'z', 'A'-'a') }

// ToLower maps ASCII A-Z to a-z.
func ToLower(s string) string { return mapASCII(s, 'A', 'Z', 'a'-'A') }

func mapASCII(s string, lo, hi byte, delta int) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= lo && s[i] <= hi {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= lo && b[j] <= hi {
					b[j] = byte(int(b[j]) + delta)
				}
			}
			return string(b)
		}
	}
	return s
}

// Wrap is fmt.Errorf("%s: %w", msg, err) without package fmt, which
// brings reflect and unicode into the launch path's initialisation.
func Wrap(msg string, err error) error { return &wrapError{msg + ": " + err.Error(), err} }

type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

// Q is s quoted as Go source, as fmt's %q quotes a string.
func Q(s string) string { return strconv.Quote(s) }

// D is n in decimal, as fmt's %d.
func D[T ~int | ~int8 | ~int16 | ~int32 | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// U is n in decimal, as fmt's %d.
func U[T ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr](n T) string {
	return strconv.FormatUint(uint64(n), 10)
}

// ReplaceOnce is s with its first old replaced by new.
func ReplaceOnce(s, old, new string) string {
	if i := Index(s, old); i >= 0 {
		return s[:i] + new + s[i+len(old):]
	}
	return s
}
