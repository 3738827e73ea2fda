package main

import (
	"net"
	"net/http"
	"testing"

	"github.com/shopgraph/shopgraph/testkit"
)

// TestAdminListener checks that the admin listener serves pprof on its own address
// until stopped, and that an empty address starts nothing.
func TestAdminListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	stop, err := startAdmin(addr, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /debug/pprof/cmdline: %s", resp.Status)
	}
	stop()
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("the admin listener still accepts connections after stop")
	}

	stop, err = startAdmin("", testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	stop()
}

// TestObservabilitySettings checks the parsing of ADMIN_ADDR and
// OTEL_EXPORTER_OTLP_ENDPOINT.
func TestObservabilitySettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		admin, otlp string
		fails       bool
	}{
		{"defaults", nil, "127.0.0.1:6060", "", false},
		{"admin off", map[string]string{"ADMIN_ADDR": "off"}, "", "", false},
		{"admin on all interfaces", map[string]string{"ADMIN_ADDR": ":6060"}, ":6060", "", false},
		{"admin without a port", map[string]string{"ADMIN_ADDR": "localhost"}, "", "", true},
		{"otlp endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "127.0.0.1:6060", "http://collector:4318", false},
		{"otlp endpoint without a scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(func(k string) string { return tc.env[k] })
			if tc.fails {
				if err == nil {
					t.Fatalf("loadConfig accepted %v", tc.env)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AdminAddr != tc.admin || cfg.OTLPEndpoint != tc.otlp {
				t.Fatalf("admin %q, otlp %q; want %q, %q", cfg.AdminAddr, cfg.OTLPEndpoint, tc.admin, tc.otlp)
			}
		})
	}
}
