#!/usr/bin/env bash
# Runs every coverage-guided fuzz target of crates/fuzz for SECONDS each
# (default 60) and prints, per target, the executions and the crashes.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#   FUZZ_JOBS=2 scripts/fuzz.sh 600     # two targets at a time
#
# FUZZ_JOBS (default 1) runs that many targets side by side, each for the
# full SECONDS: the whole run then takes about targets / FUZZ_JOBS times
# SECONDS.
# libFuzzer via libfuzzer-sys on the stable toolchain (why: crates/fuzz/src/lib.rs).
# The instrumented build goes to target/fuzz; each target's corpus grows in
# target/fuzz/corpus/<target> (seeded from events/) and a crashing input is
# kept in target/fuzz/artifacts/<target>/ (and, once understood and fixed,
# in crates/fuzz/regressions/<target>/, which seeds every later run).
# Exits non-zero if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
jobs="${FUZZ_JOBS:-1}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(onfailure_parse hydrate_event queue_body destination_object sequence_number
    dlq_assemble kinesis_batch)
fi

# Stable flags only: the sanitizer-coverage pass libFuzzer reads its
# feedback from, and `cfg(fuzzing)`. The explicit --target keeps them off
# build scripts and proc macros, which are not linked with libFuzzer.
host="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="${RUSTFLAGS:-} --cfg fuzzing -Cpasses=sancov-module \
  -Cllvm-args=-sanitizer-coverage-level=4 \
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
  -Cllvm-args=-sanitizer-coverage-pc-table \
  -Cllvm-args=-sanitizer-coverage-trace-compares"
out="target/fuzz"
echo "==> building the fuzz targets (instrumented, release)"
cargo build --release --locked --manifest-path crates/fuzz/Cargo.toml \
  --target "$host" --target-dir "$out" --bins

seed() { # seed <target> <files...>: copy fixture files into the corpus
  local corpus="$out/corpus/$1"
  shift
  mkdir -p "$corpus"
  for file in "$@"; do cp -n "$file" "$corpus/" 2>/dev/null || true; done
}
seed onfailure_parse events/onfailure-*.json
# The hydrate function's payloads: SNS, SQS and S3 events, and a Kinesis
# event sent by mistake.
seed hydrate_event events/sns-*.json events/sqs-*.json events/s3-event-*.json \
  events/kinesis-batch-valid.json
seed destination_object events/s3-onfailure-object-kinesis.json
seed kinesis_batch events/kinesis-batch-*.json
# Inputs that once crashed a target, kept so that every run tries them again.
for dir in crates/fuzz/regressions/*/; do
  seed "$(basename "$dir")" "$dir"*
done
mkdir -p "$out/corpus/sequence_number" "$out/corpus/dlq_assemble" "$out/corpus/queue_body"
printf '49590338271490256608559692538361571095921575989136588898|9' >"$out/corpus/sequence_number/seed"
# queue_body: an even first byte reads the rest as a body, an odd one wraps
# it in an SNS envelope.
for file in events/onfailure-*.json; do
  name="$(basename "$file" .json)"
  { printf '\000'; cat "$file"; } >"$out/corpus/queue_body/body-$name"
  { printf '\001'; cat "$file"; } >"$out/corpus/queue_body/wrapped-$name"
done
# dlq_assemble: the first byte picks raw bodies (0), Kinesis (1), DynamoDB
# Streams (2) or unparseable text (3); records from the first half of the
# rest, the edits to the parts from the second.
for mode in 1 2 3; do
  { printf "\\$(printf '%03o' "$mode")"; head -c 1500 events/test-records-with-poison-pill.json;
    printf '\001\001\000\002\002\000\000\001\002'; head -c 1491 /dev/zero; } \
    >"$out/corpus/dlq_assemble/seed-$mode"
done

run_target() { # run_target <target>: fuzzes it, then prints its result line
  local target="$1"
  local corpus="$out/corpus/$target"
  local artifacts="$out/artifacts/$target/"
  local log="$out/$target.log"
  mkdir -p "$corpus" "$artifacts"
  echo "==> $target for ${seconds}s"
  local code=0
  "$out/$host/release/$target" "$corpus" -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$artifacts" -rss_limit_mb=2048 \
    -max_len=65536 >"$log" 2>&1 || code=$?
  local executions crashes=0
  executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if [ "$code" -ne 0 ]; then
    crashes=1
    grep -E "^(==[0-9]+== ERROR|thread '.*' panicked|SUMMARY|artifact_prefix)|Test unit written" "$log" | head -5
  fi
  local corpus_size
  corpus_size="$(find "$corpus" -type f | wc -l)"
  echo "result: $target executions=${executions:-0} crashes=$crashes seconds=$seconds corpus=$corpus_size" \
    | tee "$out/$target.result"
}

running=0
for target in "${targets[@]}"; do
  rm -f "$out/$target.result"
  run_target "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

echo
echo "==> summary ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
status=0
for target in "${targets[@]}"; do
  line="$(cat "$out/$target.result" 2>/dev/null || echo "result: $target did not run")"
  echo "$line"
  case "$line" in *" crashes=0 "*) ;; *) status=1 ;; esac
done
exit "$status"
