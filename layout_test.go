package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/shopgraph/shopgraph"

// TestImportsPointInward checks the layout of DESIGN.md with `go list`: domain/ depends
// on nothing of the project and on no third-party code, SQL stays in store/, and only
// resolvers/ (and the wiring) knows both GraphQL and the domain.
func TestImportsPointInward(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Imports    []string
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	// forbidden maps a package (prefix) to the project packages (prefixes) it must not import.
	forbidden := map[string][]string{
		"/domain":      {"/"},
		"/store":       {"/resolvers", "/graph", "/api", "/events"},
		"/events":      {"/resolvers", "/graph", "/api"},
		"/resolvers":   {"/api"},
		"/graph":       {"/store", "/events", "/api"},
		"/seed":        {"/store", "/resolvers", "/graph", "/api", "/events", "/app"},
		"/web":         {"/"},
		"/auth":        {"/store", "/resolvers", "/graph", "/api", "/events"},
		"/graph/model": {"/store", "/events", "/api", "/resolvers"},
	}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(p.ImportPath, module)
		for prefix, bans := range forbidden {
			if rel != prefix && !strings.HasPrefix(rel, prefix+"/") {
				continue
			}
			for _, imp := range p.Imports {
				if !strings.HasPrefix(imp, module) {
					if prefix == "/domain" && strings.Contains(strings.Split(imp, "/")[0], ".") {
						t.Errorf("%s imports third-party %s: domain uses the standard library only", p.ImportPath, imp)
					}
					continue
				}
				irel := strings.TrimPrefix(imp, module)
				for _, ban := range bans {
					if (ban == "/" && !strings.HasPrefix(irel, prefix)) || (ban != "/" && (irel == ban || strings.HasPrefix(irel, ban+"/"))) {
						if prefix == "/graph/model" && irel == "/domain" {
							continue
						}
						t.Errorf("%s imports %s: the dependency points the wrong way", p.ImportPath, imp)
					}
				}
			}
		}
	}
}
