// Package bases holds the built-in base profiles a profile can extend by name.
package bases
