// Package review explains a profile change in words: a semantic diff of two resolved profiles, each change rated by Rego risk rules, and a review of the profiles a git change touches.
package review
