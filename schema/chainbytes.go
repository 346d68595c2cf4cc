package schema

import "path/filepath"

// LoadChainBytes is LoadChain for a profile held in memory (a built-in base,
// or a Docker JSON file wrapped by the CLI). name is used in positions and
// to resolve relative extends, as a path would be.
func LoadChainBytes(name string, data []byte, opts Options) ([]*Profile, error) {
	l := &chainLoader{opts: opts, done: map[string]bool{}}
	key := name
	if len(name) < len(builtinPrefix) || name[:len(builtinPrefix)] != builtinPrefix {
		key = filepath.Clean(name)
	}
	l.visit(key, data, nil, Pos{}, 0)
	if err := l.errs.err(); err != nil {
		return nil, err
	}
	return l.chain, nil
}
