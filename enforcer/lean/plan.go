package lean

import (
	"errors"
	"github.com/profilec/profilec/enforcer/internal/text"

	"github.com/profilec/profilec/compiler/plan"
	"github.com/profilec/profilec/enforcer/internal/rawfile"
)

// ErrNotPlain is Decode's answer for a plan it leaves to encoding/json
// (package planjson): escaped or case-folded keys, floats, io limits.
var ErrNotPlain = errors.New("not a plan in the form profilec compile writes")

// Decode reads a plan in the plain form profilec compile writes, without
// reflection (see FastDecode); anything else is ErrNotPlain.
func Decode(data []byte) (*plan.Plan, error) {
	if p, ok := FastDecode(data); ok {
		return p, nil
	}
	return nil, ErrNotPlain
}

// ReadPlan reads a plan file with decode (Decode, or planjson.Decode) and
// checks it is a plan of this version.
func ReadPlan(path string, decode func([]byte) (*plan.Plan, error)) (*plan.Plan, error) {
	data, err := rawfile.ReadFile(path)
	if err != nil {
		return nil, text.Wrap("read plan", err)
	}
	p, err := decode(data)
	if err != nil {
		return nil, text.Wrap("read plan "+path, err)
	}
	if p.Version != plan.Version {
		return nil, errors.New("read plan " + path + ": version " + text.D(p.Version) + ", this binary reads version " + text.D(plan.Version))
	}
	if p.ProfileDigest == "" {
		return nil, errors.New("read plan " + path + ": not a plan (no profileDigest); compile profiles with profilec compile")
	}
	return p, nil
}

// ParseProgram reads b, valid JSON as encoding/json hands it to
// UnmarshalJSON, when it is an array of objects whose keys are exactly
// "code", "jt", "jf" and "k" (each at most once) with plain non-negative
// integers in range; ok is false for anything else (null, other keys or
// spellings, signs, fractions, exponents, out-of-range values), which
// encoding/json then decodes or refuses as usual.
func ParseProgram(b []byte) (prog []plan.Instruction, ok bool) {
	prog, n, ok := parseProgram(b)
	for ok && n < len(b) && (b[n] == ' ' || b[n] == '\t' || b[n] == '\n' || b[n] == '\r') {
		n++
	}
	return prog, ok && n == len(b)
}

// parseProgram is ParseProgram of the program at the start of b, which
// may go on past it; n is the length of the program's JSON.
func parseProgram(b []byte) (prog []plan.Instruction, n int, ok bool) {
	i := 0
	ws := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	eat := func(c byte) bool {
		ws()
		if i < len(b) && b[i] == c {
			i++
			return true
		}
		return false
	}
	num := func(max uint64) (uint64, bool) {
		ws()
		start := i
		var v uint64
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			v = v*10 + uint64(b[i]-'0')
			if v > max {
				return 0, false
			}
			i++
		}
		if i == start || (b[start] == '0' && i-start > 1) {
			return 0, false
		}
		if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
			return 0, false
		}
		return v, true
	}
	if !eat('[') {
		return nil, 0, false
	}
	prog = make([]plan.Instruction, 0, len(b)/40)
	if eat(']') {
		return prog, i, true
	}
	for {
		if !eat('{') {
			return nil, 0, false
		}
		var in plan.Instruction
		var seen [4]bool
		if !eat('}') {
			for {
				if !eat('"') {
					return nil, 0, false
				}
				end := 0
				for i+end < len(b) && b[i+end] != '"' {
					end++
				}
				if i+end == len(b) {
					return nil, 0, false
				}
				key := string(b[i : i+end])
				i += end + 1
				if !eat(':') {
					return nil, 0, false
				}
				var v uint64
				var k int
				var good bool
				switch key {
				case "code":
					k = 0
					v, good = num(0xffff)
					in.Code = uint16(v)
				case "jt":
					k = 1
					v, good = num(0xff)
					in.Jt = uint8(v)
				case "jf":
					k = 2
					v, good = num(0xff)
					in.Jf = uint8(v)
				case "k":
					k = 3
					v, good = num(0xffffffff)
					in.K = uint32(v)
				}
				if !good || seen[k] {
					return nil, 0, false
				}
				seen[k] = true
				if eat('}') {
					break
				}
				if !eat(',') {
					return nil, 0, false
				}
			}
		}
		prog = append(prog, in)
		if eat(']') {
			return prog, i, true
		}
		if !eat(',') {
			return nil, 0, false
		}
	}
}

// jsonScan finds where JSON values begin and end; it validates only as
// much as that needs.
type jsonScan struct {
	b []byte
	i int
}

func (s *jsonScan) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *jsonScan) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str consumes a string and returns its raw contents; plain is false
// when it has escapes, whose meaning this scanner does not work out.
func (s *jsonScan) str() (raw []byte, plain, ok bool) {
	if s.peek() != '"' {
		return nil, false, false
	}
	s.i++
	start, plain := s.i, true
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			plain = false
			s.i += 2
			continue
		case '"':
			s.i++
			return s.b[start : s.i-1], plain, true
		}
		s.i++
	}
	return nil, false, false
}

// object consumes an object, calling member for each key with the
// scanner before the value, which member must consume.
func (s *jsonScan) object(member func(key []byte) bool) bool {
	if s.ws(); s.peek() != '{' {
		return false
	}
	s.i++
	if s.ws(); s.peek() == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		key, plain, ok := s.str()
		if !ok || !plain {
			return false
		}
		if s.ws(); s.peek() != ':' {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// value consumes any value.
func (s *jsonScan) value() bool {
	s.ws()
	switch s.peek() {
	case '"':
		_, _, ok := s.str()
		return ok
	case '{':
		return s.object(func([]byte) bool { return s.value() })
	case '[':
		s.i++
		if s.ws(); s.peek() == ']' {
			s.i++
			return true
		}
		for {
			if !s.value() {
				return false
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	}
	start := s.i
scalar:
	for ; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			break scalar
		}
	}
	return s.i > start
}
