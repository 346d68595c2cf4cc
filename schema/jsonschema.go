package schema

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/profilec/profilec/schema/systab"
)

// SchemaID is the $id of the JSON Schema JSONSchema returns.
const SchemaID = "https://github.com/profilec/profilec/schema/profile.schema.json"

// JSONSchema returns a draft-07 JSON Schema of the profile language, for
// editors (`# yaml-language-server: $schema=...`). It describes the
// structure and canonical spellings; the loader is the authority and also
// takes any case of names and constants.
func JSONSchema() []byte {
	return slices.Clone(jsonSchemaOnce())
}

var jsonSchemaOnce = sync.OnceValue(func() []byte {
	b, err := json.MarshalIndent(buildSchema(), "", "  ")
	if err != nil {
		// buildSchema holds only maps, slices, strings and numbers.
		panic("marshal JSON Schema: " + err.Error())
	}
	return append(b, '\n')
})

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/definitions/" + name} }

// object builds a closed object schema; the property order of fields (the
// decoder's field list) is checked against the descriptions by a test.
func object(desc string, fields []string, props obj, required ...string) obj {
	o := obj{"type": "object", "additionalProperties": false, "properties": props}
	if desc != "" {
		o["description"] = desc
	}
	if len(required) > 0 {
		o["required"] = required
	}
	for _, f := range fields {
		if _, ok := props[f]; !ok {
			panic("schema: no description of field " + f)
		}
	}
	if len(props) != len(fields) {
		panic("schema: described fields differ from the decoder's")
	}
	return o
}

func described(desc string, o obj) obj {
	o["description"] = desc
	return o
}

func listOf(desc string, items any) obj {
	return obj{"type": "array", "description": desc, "items": items}
}

func enumOf(desc string, values []string) obj {
	o := obj{"type": "string", "enum": values}
	if desc != "" {
		o["description"] = desc
	}
	return o
}

func oneOf(desc string, alts ...any) obj {
	return obj{"description": desc, "oneOf": alts}
}

// spellings lists a Docker constant's accepted forms for editors: canonical
// and short.
func spellings(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		out = append(out, n, shortWord(n, prefix))
	}
	return out
}

func capSpellings(all bool) []string {
	var out []string
	for _, c := range allCapabilities() {
		short := strings.TrimPrefix(c, "CAP_")
		out = append(out, c, short, strings.ToLower(c), strings.ToLower(short))
	}
	if all {
		out = append(out, "ALL", "all")
	}
	return out
}

// word accepts a name the loader reads in any case: the enum offers editors
// the usual spellings, the pattern admits the rest.
func word(desc string, completions []string, pattern string) obj {
	o := obj{"type": "string", "anyOf": []any{
		obj{"enum": completions},
		obj{"pattern": pattern},
	}}
	if desc != "" {
		o["description"] = desc
	}
	return o
}

// anyCase is a regular expression alternation matching each word in any
// case; fold also lets - and _ stand for each other, as canonWord does.
func anyCase(words []string, fold bool) string {
	alts := make([]string, len(words))
	for i, w := range words {
		var b strings.Builder
		for _, r := range w {
			switch {
			case fold && (r == '-' || r == '_'):
				b.WriteString("[-_]")
			case unicode.ToUpper(r) != unicode.ToLower(r):
				b.WriteString("[" + string(unicode.ToUpper(r)) + string(unicode.ToLower(r)) + "]")
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		alts[i] = b.String()
	}
	return "(?:" + strings.Join(alts, "|") + ")"
}

// constantPattern matches what canonWord accepts: the name with or without
// its prefix, any case, - or _.
func constantPattern(names []string, prefix string) string {
	short := make([]string, len(names))
	for i, n := range names {
		short[i] = strings.TrimPrefix(n, prefix)
	}
	return "^(?:" + anyCase([]string{prefix}, true) + ")?" + anyCase(short, true) + "$"
}

// capPattern matches what canonCap accepts.
func capPattern(all bool) string {
	var short []string
	for _, c := range allCapabilities() {
		short = append(short, strings.TrimPrefix(c, "CAP_"))
	}
	p := "(?:" + anyCase([]string{"CAP_"}, false) + ")?" + anyCase(short, false)
	if all {
		p = "(?:" + p + "|" + anyCase([]string{"ALL"}, false) + ")"
	}
	return "^" + p + "$"
}

// textTypes is the type of free text: YAML reads `name: 2024` as a number,
// and the loader takes it as the text it is.
var textTypes = []string{"string", "number", "boolean"}

const (
	uintPattern = `^(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9_]+)$`
	sizePattern = `^[0-9][0-9_]*(\.[0-9]+)?(k|K|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`
	cpuPattern  = `^([0-9]+(\.[0-9]+)?|[0-9]+m)$`
)

func buildSchema() obj {
	defs := obj{
		"uint64": oneOf("A non-negative integer up to 2^64-1: decimal, 0x hex, 0o octal or 0b binary.",
			obj{"type": "integer", "minimum": 0},
			obj{"type": "string", "pattern": uintPattern}),
		"size": oneOf("Bytes, or a Kubernetes quantity such as 256Mi, 1.5Gi, 100M or 512k.",
			obj{"type": "integer", "minimum": 0},
			obj{"type": "string", "pattern": sizePattern}),
		"action": word("A seccomp action, as Docker spells it or short (allow, errno, kill-process...), any case.",
			spellings(actionNames, "SCMP_ACT_"), constantPattern(actionNames, "SCMP_ACT_")),
		"op": word("An argument comparison, as Docker spells it or short (eq, masked-eq...), any case.",
			spellings(opNames, "SCMP_CMP_"), constantPattern(opNames, "SCMP_CMP_")),
		"flag": word("A seccomp(2) filter flag, as the runtime-spec spells it or short (log, tsync...).",
			spellings(flagNames, "SECCOMP_FILTER_FLAG_"), constantPattern(flagNames, "SECCOMP_FILTER_FLAG_")),
		"arch": word("A seccomp architecture: SCMP_ARCH_X86_64, x86_64, amd64, aarch64, ..., any case.",
			systab.ArchNames(), "^"+anyCase(systab.ArchNames(), false)+"$"),
		"errno": oneOf("An errno number or name (EPERM).",
			obj{"type": "integer", "minimum": 0, "maximum": 4095},
			obj{"type": "string", "pattern": uintPattern},
			word("", systab.ErrnoNames(), "^"+anyCase(systab.ErrnoNames(), false)+"$")),
		"syscall": enumOf("A syscall name on any architecture.", systab.AllSyscallNames()),
		"capability": word("A capability, with or without CAP_, any case.",
			capSpellings(false), capPattern(false)),
		"capabilityOrAll": word("A capability, with or without CAP_, any case; or ALL.",
			capSpellings(true), capPattern(true)),
		"filter": object("A rule condition, as Docker's includes/excludes.", filterFields, obj{
			"caps":      listOf("Capabilities of the granted (bounding) set.", ref("capability")),
			"arches":    listOf("Target architectures as Docker names them (amd64, arm64, x32, ...).", ref("arch")),
			"minKernel": obj{"type": textTypes, "pattern": `^[0-9]+\.[0-9]+$`, "description": "Kernel MAJOR.MINOR, like 5.8."},
		}),
		"ns": oneOf("A namespace: true, false, or {enabled}.",
			obj{"type": "boolean"},
			object("", nsFields, obj{"enabled": obj{"type": "boolean", "description": "Defaults to true."}})),
		"idMap": object("One line of uid_map or gid_map.", idMapFields, obj{
			"containerID": obj{"type": "integer", "minimum": 0, "maximum": int64(4294967295)},
			"hostID":      obj{"type": "integer", "minimum": 0, "maximum": int64(4294967295)},
			"size":        obj{"type": "integer", "minimum": 1, "maximum": int64(4294967295)},
		}, "containerID", "hostID", "size"),
		"rlimitValue": oneOf("A limit: a number, a size like 64Mi, or unlimited.",
			obj{"type": "integer", "minimum": 0},
			obj{"type": "string", "pattern": sizePattern},
			enumOf("", []string{"unlimited", "infinity"})),
		"rlimit": oneOf("Soft and hard limit alike, or {soft, hard}.",
			ref("rlimitValue"),
			object("", rlimitFields, obj{
				"soft": ref("rlimitValue"),
				"hard": ref("rlimitValue"),
			}, "soft", "hard")),
		"weight": obj{"type": "integer", "minimum": 1, "maximum": 10000},
	}

	syscall := object("A seccomp rule: Docker's syscalls[] entry.", syscallFields, obj{
		"names":    listOf("Syscalls this rule governs.", ref("syscall")),
		"name":     described("Docker's old single name; use names.", ref("syscall")),
		"action":   ref("action"),
		"errnoRet": described("The errno returned by errno and trace actions.", ref("errno")),
		"errno":    described("containers/common's spelling of errnoRet; must agree with it.", ref("errno")),
		"args": listOf("Argument conditions, all of which must hold.", object("", argFields, obj{
			"index":    obj{"type": "integer", "minimum": 0, "maximum": 5},
			"value":    ref("uint64"),
			"valueTwo": described("For masked-eq: the value the masked argument must equal.", ref("uint64")),
			"op":       ref("op"),
		}, "index", "op")),
		"comment":  obj{"type": textTypes},
		"includes": described("The rule applies only if all of these hold.", ref("filter")),
		"excludes": described("The rule is dropped if any of these holds.", ref("filter")),
	}, "action")
	// names or the old name; both only if names is empty, as moby allows.
	syscall["anyOf"] = []any{obj{"required": []string{"names"}}, obj{"required": []string{"name"}}}
	syscall["not"] = obj{
		"required":   []string{"name", "names"},
		"properties": obj{"names": obj{"type": "array", "minItems": 1}},
	}

	seccomp := object("Docker's seccomp profile object, unchanged.", seccompFields, obj{
		"defaultAction":   ref("action"),
		"defaultErrnoRet": ref("errno"),
		"defaultErrno":    described("containers/common's spelling of defaultErrnoRet; must agree with it.", ref("errno")),
		"architectures":   listOf("Architectures the filter accepts.", ref("arch")),
		"archMap": listOf("Per native architecture, the sub-architectures it also accepts.", object("", archMapFields, obj{
			"architecture":     ref("arch"),
			"subArchitectures": obj{"type": []string{"array", "null"}, "items": ref("arch")},
		}, "architecture")),
		"flags":            listOf("seccomp(2) filter flags.", ref("flag")),
		"listenerPath":     obj{"type": "string", "description": "A unix socket that receives the notify file descriptor."},
		"listenerMetadata": obj{"type": textTypes},
		"syscalls":         listOf("Rules; a later profile's rules for a syscall replace an earlier profile's.", syscall),
	})
	// As in moby, two non-empty lists conflict; an empty one is absent.
	seccomp["not"] = obj{
		"required": []string{"architectures", "archMap"},
		"properties": obj{
			"architectures": obj{"type": "array", "minItems": 1},
			"archMap":       obj{"type": "array", "minItems": 1},
		},
	}

	rlimits := obj{}
	for _, n := range rlimitNames {
		rlimits[n] = ref("rlimit")
	}

	props := obj{
		"version":     obj{"const": 1, "description": "The language version; must be 1."},
		"name":        obj{"type": textTypes},
		"description": obj{"type": textTypes},
		"extends": oneOf("Built-in base names (docker-default, default) or paths relative to this file.",
			obj{"type": "string", "minLength": 1},
			obj{"type": "array", "items": obj{"type": "string", "minLength": 1}}),
		"seccomp": seccomp,
		"capabilities": object("Changes to the inherited capability set: drop first, then add.", capabilitiesFields, obj{
			"add":     listOf("Capabilities granted (ALL: every one).", ref("capabilityOrAll")),
			"drop":    listOf("Capabilities removed from the inherited set (ALL: every one).", ref("capabilityOrAll")),
			"ambient": listOf("Ambient (and inheritable) capabilities; each must be granted.", ref("capability")),
		}),
		"namespaces": object("Namespaces the target gets.", namespacesFields, obj{
			"user": oneOf("A user namespace.", obj{"type": "boolean"}, object("", userNSFields, obj{
				"enabled": obj{"type": "boolean"},
				"uidMap":  listOf("", ref("idMap")),
				"gidMap":  listOf("", ref("idMap")),
			})),
			"pid":   ref("ns"),
			"mount": ref("ns"),
			"uts": oneOf("A UTS namespace, optionally with a hostname.", obj{"type": "boolean"}, object("", utsFields, obj{
				"enabled":  obj{"type": "boolean"},
				"hostname": obj{"type": textTypes, "minLength": 1, "maxLength": 64},
			})),
			"ipc":    ref("ns"),
			"net":    ref("ns"),
			"cgroup": ref("ns"),
			"time":   ref("ns"),
		}),
		"cgroups": object("Resource limits.", cgroupsFields, obj{
			"memory": object("", memoryFields, obj{
				"max":     ref("size"),
				"high":    ref("size"),
				"swapMax": ref("size"),
			}),
			"cpu": object("", cpuFields, obj{
				"max": oneOf("CPUs: 1.5 or 1500m.",
					obj{"type": "number", "exclusiveMinimum": 0},
					obj{"type": "string", "pattern": cpuPattern}),
				"weight": ref("weight"),
			}),
			"pids": object("", pidsFields, obj{"max": obj{"type": "integer", "minimum": 1}}),
			"io": object("", ioFields, obj{
				"weight": ref("weight"),
				"max": listOf("Per-device throttles.", object("", ioDeviceFields, obj{
					"device": obj{"type": textTypes, "pattern": `^[0-9]+:[0-9]+$`},
					"rbps":   ref("size"),
					"wbps":   ref("size"),
					"riops":  ref("uint64"),
					"wiops":  ref("uint64"),
				}, "device")),
			}),
			"optional": obj{"type": "boolean", "description": "Skip (and report) the limits where cgroups cannot be managed."},
		}),
		"rlimits": obj{"type": "object", "description": "Resource limits by name (any case, RLIMIT_ prefix optional).",
			"additionalProperties": false, "properties": rlimits,
			"patternProperties": obj{"^(?:" + anyCase([]string{"RLIMIT_"}, false) + ")?" + anyCase(rlimitNames, false) + "$": ref("rlimit")}},
		"noNewPrivileges": obj{"type": "boolean", "description": "Defaults to true."},
		"user": object("Who the target runs as.", userFields, obj{
			"uid":    obj{"type": "integer", "minimum": 0, "maximum": int64(4294967294)},
			"gid":    obj{"type": "integer", "minimum": 0, "maximum": int64(4294967294)},
			"groups": listOf("", obj{"type": "integer", "minimum": 0, "maximum": int64(4294967294)}),
		}, "uid", "gid"),
		"policyExceptions": listOf("Waivers of policy rules; always reported.", object("", exceptionFields, obj{
			"id":     obj{"type": "string", "minLength": 1},
			"reason": obj{"type": textTypes, "minLength": 1},
		}, "id", "reason")),
	}
	root := object("A profilec profile.", profileFields, props, "version")
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["$id"] = SchemaID
	root["title"] = "profilec profile"
	root["definitions"] = defs
	return root
}
