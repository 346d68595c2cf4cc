package schema

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// quantitySuffixes are Kubernetes' resource.Quantity suffixes (plus "K",
// which people write for kilo and which cannot mean anything else).
var quantitySuffixes = map[string]int64{
	"":   1,
	"k":  1000,
	"K":  1000,
	"M":  1000 * 1000,
	"G":  1000 * 1000 * 1000,
	"T":  1000 * 1000 * 1000 * 1000,
	"P":  1000 * 1000 * 1000 * 1000 * 1000,
	"E":  1000 * 1000 * 1000 * 1000 * 1000 * 1000,
	"Ki": 1 << 10,
	"Mi": 1 << 20,
	"Gi": 1 << 30,
	"Ti": 1 << 40,
	"Pi": 1 << 50,
	"Ei": 1 << 60,
}

var suffixNames = []string{"k", "K", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}

// parseSize reads a byte count written as an integer or a Kubernetes
// quantity ("256Mi", "1.5Gi", "100M"). A fraction of a byte rounds up, as
// Kubernetes rounds memory quantities.
func parseSize(s string) (int64, string, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == '_') {
		i++
	}
	num, suf := strings.ReplaceAll(s[:i], "_", ""), s[i:]
	if num == "" {
		if strings.HasPrefix(s, "-") {
			return 0, "", fmt.Errorf("must not be negative")
		}
		return 0, "", fmt.Errorf("must be a number of bytes or a quantity like 256Mi")
	}
	mult, ok := quantitySuffixes[suf]
	if !ok {
		return 0, suggest(suf, suffixNames, strings.ToLower), fmt.Errorf("unknown size suffix %q (use k, M, G, T or Ki, Mi, Gi, Ti)", suf)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok || strings.Count(num, ".") > 1 || strings.HasSuffix(num, ".") || strings.HasPrefix(num, ".") {
		return 0, "", fmt.Errorf("malformed number %q", num)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, "", fmt.Errorf("%s is too large", s)
	}
	return q.Int64(), "", nil
}

// parseCPUs reads a CPU count: 1.5, "1.5" or "1500m".
func parseCPUs(s string) (float64, error) {
	s = strings.TrimSpace(s)
	scale := 1.0
	if strings.HasSuffix(s, "m") {
		s, scale = strings.TrimSuffix(s, "m"), 1000
	}
	if s == "" || strings.ContainsAny(s, "eEinxXpP_") || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("must be a number of CPUs like 1.5 or 1500m")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("must be a number of CPUs like 1.5 or 1500m")
	}
	v /= scale
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("must be more than 0 CPUs")
	}
	if v > 1<<20 {
		return 0, fmt.Errorf("%g CPUs is more than any machine has", v)
	}
	return v, nil
}

// parseKernel reads "MAJOR.MINOR" as Docker's minKernel does: both parts
// small decimal numbers, not both zero. Anything after a third dot or a dash
// is ignored only for running kernels, never for profile text.
func parseKernel(s string) (major, minor uint64, err error) {
	parts := strings.Split(s, ".")
	if len(parts) != 2 {
		return 0, 0, fmt.Errorf("kernel version %q must be MAJOR.MINOR, like 5.8", s)
	}
	if major, err = strconv.ParseUint(parts[0], 10, 8); err != nil {
		return 0, 0, fmt.Errorf("kernel version %q must be MAJOR.MINOR, like 5.8", s)
	}
	if minor, err = strconv.ParseUint(parts[1], 10, 8); err != nil {
		return 0, 0, fmt.Errorf("kernel version %q must be MAJOR.MINOR, like 5.8", s)
	}
	if major == 0 && minor == 0 {
		return 0, 0, fmt.Errorf("kernel version cannot be 0.0")
	}
	return major, minor, nil
}

// parseRelease reads the leading MAJOR.MINOR of a kernel release string
// ("6.1.0-18-amd64"), as moby does for the running kernel.
func parseRelease(s string) (major, minor uint64, err error) {
	var a, b uint64
	if _, err := fmt.Sscanf(s, "%d.%d", &a, &b); err != nil {
		return 0, 0, fmt.Errorf("parse kernel version %q: %w", s, err)
	}
	return a, b, nil
}
