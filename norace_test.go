//go:build !race

package main

// raceEnabled: this test binary was built without the race detector.
const raceEnabled = false
