// Package policies validates resolved profiles with OPA: built-in safety rules, built-in policy sets and organisation policies written with conftest's conventions.
package policies
