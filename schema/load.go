package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Options configure loading.
type Options struct {
	// Bases returns a built-in base profile by name (the CLI passes
	// policies/bases.Get). Nil means there are no built-in bases.
	Bases func(name string) ([]byte, bool)
	// MaxBytes is the largest file read; 0 means DefaultMaxBytes.
	MaxBytes int64
	// BaseNames, if set, lists the built-in bases (policies/bases.Names), so
	// a misspelt base name gets a suggestion.
	BaseNames func() []string
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

// Load reads and strictly decodes one profile file. Its extends are not
// applied. Problems with the content come back as an ErrorList.
func Load(path string, opts Options) (*Profile, error) {
	data, err := readLimited(path, opts.maxBytes())
	if err != nil {
		return nil, err
	}
	return LoadBytes(path, data, opts)
}

// readLimited reads at most max+1 bytes, so a huge file (or /dev/zero) is
// refused without reading it all.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ErrorList{{Code: CodeIO, Msg: fmt.Sprintf("read profile: %v", err), Pos: Pos{File: path, Line: 1, Col: 1}}}
	}
	defer f.Close()
	// A regular file's size is known up front: refuse without reading.
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > max {
		return nil, ErrorList{{
			Code: CodeTooLarge,
			Msg:  fmt.Sprintf("profile is %d bytes; the limit is %d", st.Size(), max),
			Pos:  Pos{File: path, Line: 1, Col: 1},
		}}
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, ErrorList{{Code: CodeIO, Msg: fmt.Sprintf("read profile: %v", err), Pos: Pos{File: path, Line: 1, Col: 1}}}
	}
	if int64(len(data)) > max {
		return nil, ErrorList{{
			Code: CodeTooLarge,
			Msg:  fmt.Sprintf("profile is larger than the limit of %d bytes", max),
			Pos:  Pos{File: path, Line: 1, Col: 1},
		}}
	}
	return data, nil
}

// LoadBytes decodes one profile held in memory; name is used in positions.
// When the content has mistakes it returns them as an ErrorList together
// with what could be decoded (nil if the YAML did not parse), so tools can
// still show the rest.
func LoadBytes(name string, data []byte, opts Options) (*Profile, error) {
	if e := precheck(name, data, opts.maxBytes()); e != nil {
		return nil, ErrorList{e}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrorList{{Code: CodeRequired, Msg: "the profile is empty; it needs at least version: 1", Pos: Pos{File: name, Line: 1, Col: 1}}}
		}
		return nil, ErrorList{syntaxError(name, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, ErrorList{{Code: CodeSyntax, Msg: "a profile file holds one YAML document; found a second (---)", Pos: Pos{File: name, Line: max(extra.Line, 1), Col: max(extra.Column, 1)}}}
	} else if !errors.Is(err, io.EOF) {
		return nil, ErrorList{syntaxError(name, data, err)}
	}
	d := &decoder{file: name}
	p := d.profile(&doc)
	if err := d.errs.err(); err != nil {
		return p, err
	}
	return p, nil
}

var (
	yamlLine      = regexp.MustCompile(`^yaml: line (\d+): `)
	unknownAnchor = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)
)

// syntaxError turns a yaml.v3 error, which knows at most the line, into a
// positioned Error.
func syntaxError(file string, data []byte, err error) *Error {
	msg := err.Error()
	line, col := 1, 1
	at := func(i int) { line, col = lineCol(data, i) }
	// Some yaml.v3 errors say no line; find the culprit in the bytes.
	switch m := unknownAnchor.FindStringSubmatch(msg); {
	case m != nil:
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			at(i)
		}
	case strings.Contains(msg, "control characters are not allowed"):
		if i := bytes.IndexFunc(data, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f }); i >= 0 {
			at(i)
		}
	case strings.Contains(msg, "UTF-8"):
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				at(i)
				break
			}
			i += n
		}
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
			line = n
		}
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &Error{Code: CodeSyntax, Msg: "invalid YAML: " + msg, Pos: Pos{File: file, Line: line, Col: col}}
}

// lineCol returns the 1-based line and column (in characters) of byte
// offset i, ending lines where yaml.v3 does: at \r\n, \r, \n, NEL, LS, PS.
func lineCol(data []byte, i int) (line, col int) {
	line, col = 1, 1
	for j := 0; j < i; {
		r, n := utf8.DecodeRune(data[j:])
		switch {
		case r == '\r' && j+1 < len(data) && data[j+1] == '\n' && j+1 < i:
			n = 2
			fallthrough
		case r == '\r', r == '\n', r == '\u0085', r == '\u2028', r == '\u2029':
			line, col = line+1, 1
		default:
			col++
		}
		j += n
	}
	return line, col
}

// Limits on extends keep a chain of includes finite and small.
const (
	maxExtendsDepth = 16
	maxChainFiles   = 64
)

// LoadChain loads path and, recursively, everything it extends. The result
// is depth-first: bases first, path itself last, each file once (at its
// first occurrence). A cycle is an error naming it. Errors from every file
// are reported together.
func LoadChain(path string, opts Options) ([]*Profile, error) {
	l := &chainLoader{opts: opts, done: map[string]bool{}}
	l.visit(filepath.Clean(path), nil, nil, Pos{}, 0)
	if err := l.errs.err(); err != nil {
		return nil, err
	}
	return l.chain, nil
}

// LoadChainBytes is LoadChain for a profile held in memory: name is used in
// positions and relative extends are resolved against its directory. A name
// starting "builtin:" may extend only built-in bases.
func LoadChainBytes(name string, data []byte, opts Options) ([]*Profile, error) {
	if data == nil {
		data = []byte{}
	}
	key := name
	if !strings.HasPrefix(name, builtinPrefix) {
		key = filepath.Clean(name)
	}
	l := &chainLoader{opts: opts, done: map[string]bool{}}
	l.visit(key, data, nil, Pos{}, 0)
	if err := l.errs.err(); err != nil {
		return nil, err
	}
	return l.chain, nil
}

type chainLoader struct {
	opts  Options
	chain []*Profile
	done  map[string]bool
	stack []string
	errs  ErrorList
}

const builtinPrefix = "builtin:"

// visit loads one file. data is non-nil for built-in bases; from is the
// entry that named it (for error positions).
func (l *chainLoader) visit(key string, data []byte, from *Profile, at Pos, depth int) {
	for i, s := range l.stack {
		if s == key {
			cycle := append(append([]string(nil), l.stack[i:]...), key)
			l.errs = append(l.errs, &Error{Code: CodeCycle, Msg: "extends cycle: " + strings.Join(cycle, " -> "), Path: "extends", Pos: at})
			return
		}
	}
	if l.done[key] {
		return
	}
	if depth > maxExtendsDepth {
		l.errs = append(l.errs, &Error{Code: CodeExtends, Msg: fmt.Sprintf("extends nests more than %d files deep", maxExtendsDepth), Path: "extends", Pos: at})
		return
	}
	if len(l.done) >= maxChainFiles {
		l.errs = append(l.errs, &Error{Code: CodeExtends, Msg: fmt.Sprintf("extends reaches more than %d files", maxChainFiles), Path: "extends", Pos: at})
		return
	}
	l.done[key] = true
	var p *Profile
	var err error
	if data != nil {
		p, err = LoadBytes(key, data, l.opts)
	} else {
		p, err = Load(key, l.opts)
	}
	if err != nil {
		var list ErrorList
		if !errors.As(err, &list) {
			list = ErrorList{{Code: CodeIO, Msg: err.Error(), Pos: Pos{File: key, Line: 1, Col: 1}}}
		}
		// A missing or unreadable base is best reported where it is named.
		if from != nil && len(list) == 1 && list[0].Code == CodeIO {
			list[0].Pos, list[0].Path, list[0].Code = at, "extends", CodeExtends
		}
		l.errs = append(l.errs, list...)
		if p == nil {
			return
		}
	}
	l.stack = append(l.stack, key)
	for i, name := range p.Extends {
		pos := p.Pos
		if i < len(p.ExtendsPos) {
			pos = p.ExtendsPos[i]
		}
		if l.opts.Bases != nil {
			if b, ok := l.opts.Bases(name); ok {
				l.visit(builtinPrefix+name, b, p, pos, depth+1)
				continue
			}
		}
		var sug string
		if l.opts.BaseNames != nil {
			sug = suggest(name, l.opts.BaseNames(), nil)
		}
		if strings.HasPrefix(key, builtinPrefix) {
			l.errs = append(l.errs, &Error{Code: CodeExtends, Msg: fmt.Sprintf("unknown built-in base %q", name), Path: "extends", Pos: pos, Suggestion: sug})
			continue
		}
		target := name
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(key), target)
		}
		target = filepath.Clean(target)
		if _, err := os.Stat(target); err != nil {
			msg := fmt.Sprintf("extends %q: no built-in base of that name and no file %s", name, target)
			l.errs = append(l.errs, &Error{Code: CodeExtends, Msg: msg, Path: "extends", Pos: pos, Suggestion: sug})
			continue
		}
		l.visit(target, nil, p, pos, depth+1)
	}
	l.stack = l.stack[:len(l.stack)-1]
	l.chain = append(l.chain, p)
}

// LoadResolved loads path with its extends and resolves it for t.
func LoadResolved(path string, t Target, opts Options) (*Resolved, error) {
	chain, err := LoadChain(path, opts)
	if err != nil {
		return nil, err
	}
	return Resolve(chain, t)
}
