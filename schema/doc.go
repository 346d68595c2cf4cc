// Package schema owns the profile language: it loads YAML profiles strictly, applies extends, and resolves conditions for a target.
package schema
