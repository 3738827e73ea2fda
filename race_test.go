//go:build race

package main

// raceEnabled: this test binary was built with the race detector, so the packages it
// needs compiled are already in the build cache in their race-instrumented form.
const raceEnabled = true
