#!/usr/bin/env bash
# Runs the criterion benchmarks and prints a short throughput summary.
#
# Each entry of SECTIONS is "<title>|<package>|<bench target>"; add a line to
# benchmark another crate. Extra arguments go to criterion, e.g.
#   scripts/bench.sh processor/process_batch     (only matching benchmarks)
set -euo pipefail
cd "$(dirname "$0")/.."

SECTIONS=(
  "processor: batch helper + demo logic, 10,000-record event|processor|batch"
)

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

summary=""
for section in "${SECTIONS[@]}"; do
  IFS='|' read -r title package bench <<<"$section"
  echo "==> ${title}"
  cargo bench --locked -p "$package" --bench "$bench" -- "$@" | tee "$log"
  # Criterion prints the benchmark id (alone or before "time:"), then a
  # "thrpt: [low estimate high]" line, then on re-runs a "change:" block with
  # another thrpt line; keep the id and the first estimate.
  figures="$(awk '
    /^Benchmarking/ { next }
    /^[^ ]/ { id = $1; done = 0 }
    /thrpt:/ && !done { gsub(/[\[\]]/, ""); sub(/.*thrpt: */, ""); print "  " id ": " $3 " " $4; done = 1 }
  ' "$log")"
  summary+="${title}"$'\n'"${figures:-  (no throughput reported)}"$'\n'
done

echo
echo "==> summary (criterion estimate; elem/s = records per second)"
printf '%s' "$summary"
