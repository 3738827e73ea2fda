package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// knownEnv is every variable config.go reads.
func knownEnv() map[string]bool {
	m := map[string]bool{}
	for _, s := range settings {
		m[s.env] = true
	}
	return m
}

// checkEnv fails the test for a variable config.go does not read, and checks that the
// values load.
func checkEnv(t *testing.T, where string, env map[string]string) config {
	t.Helper()
	known := knownEnv()
	for k := range env {
		if !known[k] {
			t.Errorf("%s sets %s, which shopgraph does not read", where, k)
		}
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Errorf("%s: %v", where, err)
	}
	return cfg
}

// TestComposeDeployment checks deploy/compose.yaml: three shopgraph processes behind the
// load balancer, a PostgreSQL primary and replica, a 3-node NATS cluster, Redis and
// ClickHouse, and only settings shopgraph reads, with values it accepts.
func TestComposeDeployment(t *testing.T) {
	b, err := os.ReadFile("deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
			Deploy      struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"deploy"`
			Command []string `yaml:"command"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parsing deploy/compose.yaml: %v", err)
	}
	for _, name := range []string{"lb", "shopgraph", "postgres", "postgres-replica", "redis", "nats-1", "nats-2", "nats-3", "clickhouse"} {
		if _, ok := doc.Services[name]; !ok {
			t.Errorf("deploy/compose.yaml has no service %s", name)
		}
	}
	sg := doc.Services["shopgraph"]
	if sg.Deploy.Replicas != 3 {
		t.Errorf("shopgraph runs %d replicas, want 3", sg.Deploy.Replicas)
	}
	cfg := checkEnv(t, "deploy/compose.yaml", sg.Environment)
	checkScaledConfig(t, "deploy/compose.yaml", cfg)
	for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
		if !strings.Contains(strings.Join(doc.Services[n].Command, " "), "--routes") {
			t.Errorf("%s is not routed to the other nodes: %v", n, doc.Services[n].Command)
		}
	}
}

func checkScaledConfig(t *testing.T, where string, cfg config) {
	t.Helper()
	if len(cfg.ReplicaURLs) == 0 {
		t.Errorf("%s: no read replica in SHOPGRAPH_DATABASE_REPLICA_URLS", where)
	}
	if n := len(strings.Split(cfg.NATSURL, ",")); n != 3 {
		t.Errorf("%s: NATS_URL names %d nodes, want 3", where, n)
	}
	if cfg.NATSReplicas != 3 {
		t.Errorf("%s: NATS_STREAM_REPLICAS = %d, want 3", where, cfg.NATSReplicas)
	}
}

// TestKubernetesManifests checks deploy/k8s/*.yaml: three shopgraph pods behind a
// LoadBalancer Service, configured only with settings shopgraph reads; the primary and
// the replica; a 3-node NATS cluster; Redis and ClickHouse.
func TestKubernetesManifests(t *testing.T) {
	files, err := filepath.Glob("deploy/k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s: %v", err)
	}
	type object struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
		Spec       struct {
			Type     string `yaml:"type"`
			Replicas *int   `yaml:"replicas"`
		} `yaml:"spec"`
	}
	objects := map[string]object{}
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(r)
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("parsing %s: %v", f, err)
			}
			if o.Kind == "" {
				t.Fatalf("%s: a document without a kind", f)
			}
			objects[o.Kind+"/"+o.Metadata.Name] = o
		}
		r.Close()
	}
	replicas := func(key string) int {
		o, ok := objects[key]
		if !ok {
			t.Errorf("no %s in deploy/k8s", key)
			return 0
		}
		if o.Spec.Replicas == nil {
			return 1
		}
		return *o.Spec.Replicas
	}
	if n := replicas("Deployment/shopgraph"); n != 3 {
		t.Errorf("Deployment/shopgraph has %d replicas, want 3", n)
	}
	if n := replicas("StatefulSet/nats"); n != 3 {
		t.Errorf("StatefulSet/nats has %d replicas, want 3", n)
	}
	for _, k := range []string{"StatefulSet/postgres-primary", "StatefulSet/postgres-replica", "StatefulSet/redis", "StatefulSet/clickhouse"} {
		if replicas(k) < 1 {
			t.Errorf("%s runs nothing", k)
		}
	}
	if s := objects["Service/shopgraph"]; s.Spec.Type != "LoadBalancer" {
		t.Errorf("Service/shopgraph is of type %q, want LoadBalancer", s.Spec.Type)
	}
	env := map[string]string{}
	for k, v := range objects["ConfigMap/shopgraph"].Data {
		env[k] = v
	}
	for k, v := range objects["Secret/shopgraph"].StringData {
		env[k] = v
	}
	cfg := checkEnv(t, "deploy/k8s/shopgraph.yaml", env)
	checkScaledConfig(t, "deploy/k8s/shopgraph.yaml", cfg)
}
