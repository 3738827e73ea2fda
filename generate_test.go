package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeIsFresh regenerates graph/ and resolvers/ in a copy of the module and
// fails when anything differs from the committed files: schema.graphqls and gqlgen.yml
// must never drift from the code built from them.
func TestGeneratedCodeIsFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerating takes a while; skipped with -short")
	}
	t.Parallel()
	dir := t.TempDir()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == ".git" || path == "bin" || path == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() && path != "." {
			// A nested module (the benchmarks) is not part of this one.
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, path), 0o755)
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".graphqls") &&
			path != "gqlgen.yml" && path != "go.mod" && path != "go.sum" && !strings.HasSuffix(path, ".sql") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, path), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "github.com/99designs/gqlgen", "generate")
	cmd.Dir = dir
	if raceEnabled {
		// gqlgen type-checks the module through go list, which compiles what it imports:
		// with the race detector's flags those are the packages this test run built
		// already, not a second build of every dependency.
		cmd.Env = append(os.Environ(), "GOFLAGS=-race")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gqlgen generate: %v\n%s", err, out)
	}
	for _, sub := range []string{"graph", "resolvers"} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			want, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			got, err := os.ReadFile(rel)
			if err != nil {
				t.Errorf("%s is generated but not committed", rel)
				return nil
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale: run make generate and commit the result", rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
