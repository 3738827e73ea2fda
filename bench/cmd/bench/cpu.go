package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shopgraph/shopgraph/bench/tracking"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

// processCPU returns the CPU time a process has used, user and system.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	// After the command: state(0) ... utime(11) stime(12).
	if len(f) < 13 {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("odd /proc/%d/stat", pid)
	}
	return time.Duration(u+st) * time.Second / clockTicks, nil
}

// serverPID returns the process listening on rawURL's port, or 0.
func serverPID(rawURL string) int {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return 0
	}
	pid, err := tracking.PIDListening(port)
	if err != nil {
		return 0
	}
	return pid
}

// cpuMeter measures the CPU time a server spends over a run.
type cpuMeter struct {
	pid   int
	start time.Duration
}

func startCPU(rawURL string) *cpuMeter {
	m := &cpuMeter{pid: serverPID(rawURL)}
	if m.pid != 0 {
		m.start, _ = processCPU(m.pid)
	}
	return m
}

// stop returns the CPU time used since start, or 0 when it cannot be read.
func (m *cpuMeter) stop() time.Duration {
	if m.pid == 0 {
		return 0
	}
	end, err := processCPU(m.pid)
	if err != nil {
		return 0
	}
	return end - m.start
}
