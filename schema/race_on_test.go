//go:build race

package schema

// raceEnabled: the race detector's shadow memory makes peak RSS say
// nothing about the loader.
const raceEnabled = true
