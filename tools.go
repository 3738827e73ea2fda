//go:build tools

// Package main pins build tools in go.mod so `go run` uses the recorded versions.
package main

import (
	_ "github.com/99designs/gqlgen"
)
