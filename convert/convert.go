package convert

import (
	"fmt"

	"github.com/profilec/profilec/schema"
)

// Import reads any input Detect recognises, other than a profilec profile
// (which schema loads itself), into a profilec profile. spoName picks one
// SeccompProfile out of several ("" for the only one that is not a base).
func Import(data []byte, spoName string) (*schema.Profile, Kind, []Note, error) {
	k, err := Detect(data)
	if err != nil {
		return nil, k, nil, err
	}
	switch k {
	case KindDocker:
		p, err := FromDocker(data)
		if err != nil {
			return nil, k, nil, err
		}
		// A seccomp file is only part of what Docker confines a container
		// with; say where the rest comes from rather than let a user
		// believe the profile alone isolates like a container.
		ns := []Note{{Path: "namespaces", Msg: "a Docker seccomp profile has no namespaces or limits; Docker adds pid, mount, uts, ipc and network namespaces itself (extend the built-in default profile to get them from profilec)"}}
		return p, k, ns, nil
	case KindOCI:
		p, ns, err := FromOCI(data)
		return p, k, ns, err
	case KindSPO:
		p, ns, err := FromSPO(data, spoName)
		return p, k, ns, err
	case KindProfile:
		return nil, k, nil, fmt.Errorf("import profile: the input is already a profilec profile; load it with schema")
	}
	return nil, k, nil, fmt.Errorf("import profile: unknown input kind %s", k)
}
