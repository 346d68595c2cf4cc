package schema

import (
	"bytes"
	"fmt"
)

// maxDepth bounds how deeply a profile may nest. Real profiles nest about
// six levels (seccomp.syscalls[i].args[j].value); yaml.v3's parser recurses
// once per level, so the bound is checked on the raw bytes before it runs.
const maxDepth = 64

// maxNodes bounds how many YAML values a profile may hold. yaml.v3 spends
// about 250 bytes on each, so a 4 MiB file of "a," would take half a GiB;
// Docker's default profile, the largest real one, has about 1,300.
const maxNodes = 100000

// DefaultMaxBytes is the largest profile read when Options.MaxBytes is 0.
// Docker's default profile, the largest real one, is about 20 KiB of JSON.
const DefaultMaxBytes = 4 << 20

// nestingDepth estimates, without parsing, the deepest nesting of a YAML
// document, and the line where it is reached. The estimate never falls below
// the true depth for the structures that make yaml.v3 recurse: flow
// collections ([ {), indentation and compact block sequences ("- - - x").
// It may count a few levels more than there are (a scalar that looks like an
// indicator), which a limit far above real profiles absorbs.
func nestingDepth(data []byte) (depth, line int) {
	depth, line, _ = scanYAML(data)
	return depth, line
}

// scanYAML returns nestingDepth's estimate and an estimate of the number of
// nodes, counting every token that can start one (scalars, [ {, and the
// - ? : indicators). Only implicit nulls in flow mappings ({a}) go uncounted,
// so the estimate is rarely below the true count and never far from it.
func scanYAML(data []byte) (depth, line, nodes int) {
	// yaml.v3 also ends lines at a lone \r and at NEL, LS and PS; seen as
	// one long line, an indentation bomb would look flat.
	if bytes.ContainsAny(data, "\r\u0085\u2028\u2029") {
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		for _, br := range []string{"\r", "\u0085", "\u2028", "\u2029"} {
			data = bytes.ReplaceAll(data, []byte(br), []byte("\n"))
		}
	}
	var (
		indents   []int // strictly increasing indentation of open block levels
		flow      int   // open [ and {
		inQuote   byte  // ' or " while inside a quoted scalar
		blockText = -1  // indentation of the line that opened a | or > scalar
		lineNo    = 0
	)
	update := func(d int) {
		if d > depth {
			depth, line = d, lineNo
		}
	}
	for len(data) > 0 {
		lineNo++
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		ind := 0
		for ind < len(l) && l[ind] == ' ' {
			ind++
		}
		rest := l[ind:]
		if len(bytes.TrimSpace(rest)) == 0 {
			continue
		}
		// Lines of a literal or folded block scalar are text, whatever
		// they contain, as long as they are indented past its parent.
		if blockText >= 0 {
			if ind > blockText {
				continue
			}
			blockText = -1
		}
		if inQuote == 0 && flow == 0 && rest[0] != '#' {
			for len(indents) > 0 && indents[len(indents)-1] > ind {
				indents = indents[:len(indents)-1]
			}
			if len(indents) == 0 || indents[len(indents)-1] < ind {
				indents = append(indents, ind)
			}
		}
		// A mapping key and the sequence under it may share an
		// indentation, so each indentation level counts twice.
		block := 2 * len(indents)
		compact := 0
		atTokenStart := true
		lastNonSpace := byte(0)
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			if inQuote != 0 {
				switch {
				case inQuote == '"' && c == '\\':
					i++
				case c == inQuote:
					if inQuote == '\'' && i+1 < len(rest) && rest[i+1] == '\'' {
						i++
					} else {
						inQuote = 0
						atTokenStart = false
					}
				}
				continue
			}
			switch {
			case c == '#' && (i == 0 || rest[i-1] == ' ' || rest[i-1] == '\t'):
				i = len(rest)
				continue
			case (c == '"' || c == '\'') && atTokenStart:
				inQuote = c
				nodes++
				continue
			case (c == '[' || c == '{') && (atTokenStart || flow > 0):
				flow++
				nodes++
				update(block + compact + flow)
				atTokenStart = true
				continue
			case (c == ']' || c == '}') && flow > 0:
				flow--
				atTokenStart = false
				continue
			case (c == '-' || c == '?' || c == ':') && flow == 0 && (i+1 == len(rest) || rest[i+1] == ' ') && (atTokenStart || c == ':'):
				compact++
				nodes++
				atTokenStart = true
				continue
			case c == ',' && flow > 0:
				atTokenStart = true
				continue
			case c == ' ' || c == '\t':
				if lastNonSpace == ':' || lastNonSpace == '-' || lastNonSpace == '?' || lastNonSpace == ',' {
					atTokenStart = true
				}
				continue
			}
			if atTokenStart {
				nodes++
			}
			atTokenStart = false
			lastNonSpace = c
		}
		update(block + compact + flow)
		if inQuote == 0 && flow == 0 {
			t := bytes.TrimRight(rest, " \t")
			if h := bytes.LastIndex(t, []byte(" #")); h >= 0 {
				t = bytes.TrimRight(t[:h], " \t")
			}
			if isBlockScalarHeader(t) {
				blockText = ind
				nodes++
			}
		}
	}
	return depth, line, nodes
}

// isBlockScalarHeader reports whether a line ends in a | or > header, with
// optional chomping and indentation indicators ("|-", ">+2").
func isBlockScalarHeader(t []byte) bool {
	i := len(t) - 1
	for i >= 0 && (t[i] == '-' || t[i] == '+' || (t[i] >= '1' && t[i] <= '9')) {
		i--
	}
	if i < 0 || (t[i] != '|' && t[i] != '>') {
		return false
	}
	return i == 0 || t[i-1] == ' '
}

// precheck refuses input that could make the YAML parser itself use
// unbounded time or memory: too large, or nested too deeply.
func precheck(file string, data []byte, maxBytes int64) *Error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if int64(len(data)) > maxBytes {
		return &Error{
			Code: CodeTooLarge,
			Msg:  fmt.Sprintf("profile is %d bytes; the limit is %d", len(data), maxBytes),
			Pos:  Pos{File: file, Line: 1, Col: 1},
		}
	}
	d, line, nodes := scanYAML(data)
	if nodes > maxNodes {
		return &Error{
			Code: CodeTooLarge,
			Msg:  fmt.Sprintf("profile has more than %d YAML values; refusing to parse it", maxNodes),
			Pos:  Pos{File: file, Line: 1, Col: 1},
		}
	}
	if d > maxDepth {
		return &Error{
			Code: CodeTooDeep,
			Msg:  fmt.Sprintf("profile nests more than %d levels deep; refusing to parse it", maxDepth),
			Pos:  Pos{File: file, Line: line, Col: 1},
		}
	}
	return nil
}
