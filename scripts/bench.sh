#!/usr/bin/env bash
# Runs every benchmark of the repository and prints the tables of
# BENCHMARKS.md: per package, traced vs untraced (allocations and bytes
# exact, time paired run by run) and the BenchmarkPaired tables (untraced and
# traced calls alternated in every iteration). Raw output is kept in
# ${BENCH_OUT:-/tmp/tracekit-bench}.
#
#   scripts/bench.sh            # COUNT=6 runs of each benchmark
#   COUNT=10 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-6}
OUT=${BENCH_OUT:-/tmp/tracekit-bench}
mkdir -p "$OUT"
echo "# $(go version), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs), count=$COUNT"
for pkg in openaitrace bedrocktrace redact observe; do
	echo
	echo "## $pkg"
	# BenchmarkPaired sets its own iteration count: 3000 alternated pairs.
	go test -run '^$' -bench . -skip '^BenchmarkPaired$' -benchmem -count "$COUNT" "./$pkg/" > "$OUT/$pkg.txt"
	if grep -q '^func BenchmarkPaired' "$pkg"/*_test.go; then
		go test -run '^$' -bench '^BenchmarkPaired$' -benchtime 3000x -count "$COUNT" "./$pkg/" >> "$OUT/$pkg.txt"
	fi
	go run ./internal/benchpair < "$OUT/$pkg.txt"
done
