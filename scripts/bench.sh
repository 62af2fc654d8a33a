#!/usr/bin/env bash
# Runs the benchmarks and prints a short summary of their figures.
#
# Each entry of SECTIONS is "<title>|<package>|<bench target>|<kind>":
# - kind "criterion": a criterion benchmark; extra arguments go to criterion,
#   e.g. `scripts/bench.sh processor/process_batch` (only matching ones), and
#   the summary keeps each benchmark's throughput estimate;
# - kind "figures": a `harness = false` benchmark that prints its own
#   figures; the summary keeps its lines starting with "result:";
# - kind "script": the script named in the package field, run three times;
#   the summary keeps each run's "result:" lines.
# Add a line to benchmark another crate.
set -euo pipefail
cd "$(dirname "$0")/.."

SECTIONS=(
  "processor: batch helper + demo logic, 10,000-record event|processor|batch|criterion"
  "processor: 10,000-record event through the Lambda Runtime API, vs Powertools (Python) BatchProcessor|scripts/bench-runtime-api.sh||script"
  "hydrate: 10,000-record x 600-byte range, kinesis-local -> moto SQS|hydrate|hydrate|figures"
  "hydrate: 1,000-record DynamoDB Streams range (600-byte binary attributes), moto -> moto SQS|hydrate|hydrate_dynamodb|figures"
  "local stack: scripts/demo.sh, up + both scenarios + down (builds excluded)|scripts/demo.sh||script"
  "cli: replay 10,000 records from the DLQ into a stream, moto SQS -> kinesis-local|streamdlq|replay|figures"
  "cli: hydrate --from-queue, 1,000 metadata-only failure records of 10 records, moto SQS + kinesis-local|streamdlq|rescue|figures"
)

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

summary=""
for section in "${SECTIONS[@]}"; do
  IFS='|' read -r title package bench kind <<<"$section"
  echo "==> ${title}"
  case "$kind" in
    criterion)
      cargo bench --locked -p "$package" --bench "$bench" -- "$@" | tee "$log"
      # Criterion prints the benchmark id (alone or before "time:"), then a
      # "thrpt: [low estimate high]" line, then on re-runs a "change:" block
      # with another thrpt line; keep the id and the first estimate.
      figures="$(awk '
        /^Benchmarking/ { next }
        /^[^ ]/ { id = $1; done = 0 }
        /thrpt:/ && !done { gsub(/[\[\]]/, ""); sub(/.*thrpt: */, ""); print "  " id ": " $3 " " $4 " (elem/s = records per second)"; done = 1 }
      ' "$log")"
      ;;
    figures)
      cargo bench --locked -p "$package" --bench "$bench" | tee "$log"
      figures="$(sed -n 's/^result: /  /p' "$log")"
      ;;
    script)
      figures=""
      for run in 1 2 3; do
        "$package" | tee "$log"
        figures+="$(sed -n "s/^result: /  run ${run}: /p" "$log")"$'\n'
      done
      figures="${figures%$'\n'}"
      ;;
    *)
      echo "unknown section kind: $kind" >&2
      exit 2
      ;;
  esac
  summary+="${title}"$'\n'"${figures:-  (no figures reported)}"$'\n'
done

echo
echo "==> summary"
printf '%s' "$summary"
