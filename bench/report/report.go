// Package report keeps the bench's one table: a row per measured figure, grouped by
// workload, with shopgraph's figure, the baseline's, their ratio, the target and whether
// it was met. Results accumulate in results.json, so a workload run alone replaces its
// own rows and keeps the others; results.md is rendered from it.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Verdict is a row's outcome.
type Verdict string

// The verdicts.
const (
	Pass Verdict = "pass"
	Fail Verdict = "FAIL"
	// Info rows have no target.
	Info Verdict = "info"
	// NotMeasurable rows name a target that cannot be measured yet.
	NotMeasurable Verdict = "n/m"
)

// Row is one figure of one workload.
type Row struct {
	Workload  string  `json:"workload"`
	Metric    string  `json:"metric"`
	Shopgraph string  `json:"shopgraph"`
	Baseline  string  `json:"baseline"`
	Ratio     string  `json:"ratio"`
	Target    string  `json:"target"`
	Verdict   Verdict `json:"verdict"`
}

// Run is one workload's rows and when they were measured.
type Run struct {
	Workload string    `json:"workload"`
	At       time.Time `json:"at"`
	Rows     []Row     `json:"rows"`
	Notes    []string  `json:"notes,omitempty"`
}

// File is results.json.
type File struct {
	Machine string         `json:"machine"`
	Runs    map[string]Run `json:"runs"`
}

// Load reads path; a missing file is an empty File.
func Load(path string) (File, error) {
	f := File{Runs: map[string]Run{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	if f.Runs == nil {
		f.Runs = map[string]Run{}
	}
	return f, nil
}

// Save writes path.
func (f File) Save(path string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Ordered returns the runs in the order of names first (the workload registry), then
// any others by name.
func (f File) Ordered(names []string) []Run {
	var out []Run
	seen := map[string]bool{}
	for _, n := range names {
		if r, ok := f.Runs[n]; ok {
			out = append(out, r)
			seen[n] = true
		}
	}
	var rest []string
	for n := range f.Runs {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		out = append(out, f.Runs[n])
	}
	return out
}

var header = []string{"workload", "metric", "shopgraph", "baseline", "ratio", "target", "result"}

func (r Row) cells() []string {
	return []string{r.Workload, r.Metric, r.Shopgraph, r.Baseline, r.Ratio, r.Target, string(r.Verdict)}
}

// Markdown writes the table and the notes as Markdown.
func Markdown(w io.Writer, machine string, runs []Run) {
	fmt.Fprintf(w, "# shopgraph benchmark results\n\n")
	fmt.Fprintf(w, "Machine: %s.\n\n", machine)
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for _, run := range runs {
		for _, r := range run.Rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(r.cells(), " | "))
		}
	}
	fmt.Fprintf(w, "\nMeasured at (UTC):\n\n")
	for _, run := range runs {
		fmt.Fprintf(w, "- %s: %s\n", run.Workload, run.At.UTC().Format("2006-01-02 15:04"))
	}
	var notes bool
	for _, run := range runs {
		for _, n := range run.Notes {
			if !notes {
				fmt.Fprintf(w, "\nNotes:\n\n")
				notes = true
			}
			fmt.Fprintf(w, "- %s: %s\n", run.Workload, n)
		}
	}
}

// Text writes the table for a terminal.
func Text(w io.Writer, runs []Run) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, run := range runs {
		for _, r := range run.Rows {
			fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
		}
	}
	tw.Flush()
}

// Machine describes this machine: CPU model and count, memory, kernel, Go version.
func Machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	kernel := ""
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%d cores (%s)%s%s, %s; load generator, shopgraph, baseline and the servers share it",
		runtime.NumCPU(), cpu, mem, kernel, runtime.Version())
}

// Ratio formats a/b, or "—" when b is zero.
func Ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// Check returns Pass when ok, else Fail.
func Check(ok bool) Verdict {
	if ok {
		return Pass
	}
	return Fail
}

// Order is the table's order of the workloads; workloads not named here follow by name.
var Order = []string{"product-page", "product-list", "mixed", "checkout", "order-tracking", "abuse"}

// Record adds runs to dir/results.json, replacing earlier runs of the same workloads, and
// renders dir/results.md from it. It returns every run now recorded, in table order.
func Record(dir string, runs ...Run) ([]Run, error) {
	path := dir + "/results.json"
	f, err := Load(path)
	if err != nil {
		return nil, err
	}
	f.Machine = Machine()
	for _, r := range runs {
		f.Runs[r.Workload] = r
	}
	if err := f.Save(path); err != nil {
		return nil, err
	}
	all := f.Ordered(Order)
	md, err := os.Create(dir + "/results.md")
	if err != nil {
		return nil, err
	}
	Markdown(md, f.Machine, all)
	return all, md.Close()
}
