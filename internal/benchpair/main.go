// Command benchpair reads `go test -bench -count N` output on stdin and
// prints, for every traced variant, its overhead over the untraced baseline
// of the same benchmark, paired run by run (the i-th run of a variant
// against the i-th run of the baseline, which ran next to it), as the median
// of the paired differences. Allocations and bytes are exact; time is noisy
// on shared machines, which pairing mitigates.
//
// Benchmarks that pair at a finer grain themselves (BenchmarkPaired: an
// untraced and a traced call alternated in every iteration) report the
// metrics untraced-ns/op, traced-ns/op, added-ns/op and added-%; for those it
// prints a second table: the medians over the runs, and the range of added-%;
// then the cost per stream event (X_plus100 against X) and the split of the
// added time into the SDK's floor and the tracer's own work (X_sdk_floor
// against X).
//
//	go test -run '^$' -bench . -benchmem -count 10 ./openaitrace/ | go run ./internal/benchpair
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type run struct{ ns, bytes, allocs float64 }

// pairedMetric matches one "value unit" pair of a BenchmarkPaired line.
var pairedMetric = regexp.MustCompile(`([\d.-]+) (untraced-ns/op|traced-ns/op|added-ns/op|added-%)`)

var line = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?\s([\d.]+) B/op\s+([\d.]+) allocs/op)?`)

func main() {
	runs := map[string][]run{}
	paired := map[string]map[string][]float64{}
	var order, pairedOrder []string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := m[1]
		if pm := pairedMetric.FindAllStringSubmatch(sc.Text(), -1); len(pm) > 0 {
			if paired[name] == nil {
				paired[name] = map[string][]float64{}
				pairedOrder = append(pairedOrder, name)
			}
			for _, x := range pm {
				v, _ := strconv.ParseFloat(x[1], 64)
				paired[name][x[2]] = append(paired[name][x[2]], v)
			}
			continue
		}
		ns, _ := strconv.ParseFloat(m[3], 64)
		b, _ := strconv.ParseFloat(m[4], 64)
		a, _ := strconv.ParseFloat(m[5], 64)
		if _, ok := runs[name]; !ok {
			order = append(order, name)
		}
		runs[name] = append(runs[name], run{ns, b, a})
	}
	if len(order) > 0 {
		fmt.Printf("| benchmark | runs | median ns/op | B/op | allocs/op | paired Δ time | Δ B/op | Δ allocs |\n|---|---|---|---|---|---|---|---|\n")
	}
	for _, name := range order {
		rs := runs[name]
		base := baselineOf(name, runs)
		med := median(rs, func(r run) float64 { return r.ns })
		row := fmt.Sprintf("| %s | %d | %s | %.0f | %.0f |", strings.TrimPrefix(name, "Benchmark"), len(rs), dur(med), rs[0].bytes, rs[0].allocs)
		if base == "" || base == name {
			fmt.Println(row + " — | — | — |")
			continue
		}
		bs := runs[base]
		n := min(len(bs), len(rs))
		var deltas []float64
		var pct []float64
		for i := 0; i < n; i++ {
			deltas = append(deltas, rs[i].ns-bs[i].ns)
			pct = append(pct, 100*(rs[i].ns-bs[i].ns)/bs[i].ns)
		}
		sort.Float64s(deltas)
		sort.Float64s(pct)
		fmt.Printf("%s %+.1f µs (%+.0f%%) | %+.0f | %+.0f |\n", row, deltas[len(deltas)/2]/1000, pct[len(pct)/2], rs[0].bytes-bs[0].bytes, rs[0].allocs-bs[0].allocs)
	}
	if len(pairedOrder) == 0 {
		return
	}
	if len(order) > 0 {
		fmt.Println()
	}
	fmt.Printf("| paired benchmark | runs | untraced | traced | added | added %% (median) | added %% (min … max) |\n|---|---|---|---|---|---|---|\n")
	for _, name := range pairedOrder {
		p := paired[name]
		pct := append([]float64(nil), p["added-%"]...)
		sort.Float64s(pct)
		if len(pct) == 0 {
			continue
		}
		fmt.Printf("| %s | %d | %.1f µs | %.1f µs | %+.1f µs | %+.1f%% | %+.1f%% … %+.1f%% |\n", strings.TrimPrefix(name, "Benchmark"), len(pct),
			med(p["untraced-ns/op"])/1000, med(p["traced-ns/op"])/1000, med(p["added-ns/op"])/1000, med(pct), pct[0], pct[len(pct)-1])
	}
	perEvent(paired, pairedOrder)
	floors(paired, pairedOrder)
}

// floors prints, for every paired benchmark X_sdk_floor (the OpenTelemetry
// SDK's own work for the span and metrics of X, see internal/sdkfloor) next
// to X (or X_capture_on), how X's added time splits: the SDK floor, and the
// tracer's own work above it (run i of X minus run i of the floor; the
// median and range over runs).
func floors(paired map[string]map[string][]float64, order []string) {
	header := false
	for _, name := range order {
		base, ok := strings.CutSuffix(name, "_sdk_floor")
		if !ok {
			continue
		}
		if paired[base] == nil {
			base += "_capture_on"
		}
		own := runDiffs(paired[base]["added-%"], paired[name]["added-%"], 1)
		if own == nil {
			continue
		}
		if !header {
			fmt.Printf("\n| added time, split | runs | traced (median) | SDK floor (median) | tracer's own: traced − floor (median) | min … max |\n|---|---|---|---|---|---|\n")
			header = true
		}
		n := len(own)
		fmt.Printf("| %s | %d | %+.1f%% | %+.1f%% | %+.1f%% | %+.1f%% … %+.1f%% |\n", strings.TrimPrefix(base, "Benchmark"), n,
			med(paired[base]["added-%"]), med(paired[name]["added-%"]), own[n/2], own[0], own[n-1])
	}
}

// runDiffs returns (a[i] - b[i]) / div for the runs both have, sorted; nil
// when there are none.
func runDiffs(a, b []float64, div float64) []float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return nil
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = (a[i] - b[i]) / div
	}
	sort.Float64s(d)
	return d
}

// perEvent prints, for every paired benchmark X_plus100 next to a paired
// benchmark X (the same stream with 100 more events), the tracer's cost per
// stream event: run i's added time of X_plus100 minus run i's of X, divided
// by 100 (the per-call cost cancels out); the median and range over runs.
func perEvent(paired map[string]map[string][]float64, order []string) {
	header := false
	for _, name := range order {
		base, ok := strings.CutSuffix(name, "_plus100")
		if !ok || paired[base] == nil {
			continue
		}
		per := runDiffs(paired[name]["added-ns/op"], paired[base]["added-ns/op"], 100)
		if per == nil {
			continue
		}
		n := len(per)
		if !header {
			fmt.Printf("\n| per stream event (X_plus100 − X) / 100 | runs | median | min … max |\n|---|---|---|---|\n")
			header = true
		}
		fmt.Printf("| %s | %d | %s | %s … %s |\n", strings.TrimPrefix(base, "Benchmark"), n,
			dur(per[n/2]), dur(per[0]), dur(per[n-1]))
	}
}

// dur formats nanoseconds in µs, or in ns below a microsecond.
func dur(ns float64) string {
	if ns < 1000 {
		return fmt.Sprintf("%.1f ns", ns)
	}
	return fmt.Sprintf("%.1f µs", ns/1000)
}

func med(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	return v[len(v)/2]
}

// baselineOf returns the untraced benchmark next to name: the sibling
// "untraced" sub-benchmark at the deepest level that has one.
func baselineOf(name string, runs map[string][]run) string {
	parts := strings.Split(name, "/")
	for i := len(parts) - 1; i > 0; i-- {
		cand := strings.Join(append(append([]string{}, parts[:i]...), "untraced"), "/")
		if _, ok := runs[cand]; ok {
			return cand
		}
	}
	return ""
}

func median(rs []run, f func(run) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	return v[len(v)/2]
}
