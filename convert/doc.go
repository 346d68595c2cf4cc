// Package convert translates profiles between profilec YAML and the formats engines take: Docker seccomp JSON, OCI runtime-spec configs, Kubernetes security-profiles-operator objects and raw BPF.
package convert
