#!/usr/bin/env bash
# Runs every coverage-guided fuzz target of crates/fuzz for SECONDS each
# (default 60) and prints, per target, the executions and the crashes.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# libFuzzer via libfuzzer-sys on the stable toolchain (why: crates/fuzz/src/lib.rs).
# The instrumented build goes to target/fuzz; each target's corpus grows in
# target/fuzz/corpus/<target> (seeded from events/) and a crashing input is
# kept in target/fuzz/artifacts/<target>/. Exits non-zero if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(onfailure_parse sns_event sequence_number dlq_assemble kinesis_batch)
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
seed onfailure_parse events/onfailure-kinesis.json
seed sns_event events/sns-*.json
seed kinesis_batch events/kinesis-batch-*.json
mkdir -p "$out/corpus/sequence_number" "$out/corpus/dlq_assemble"
printf '49590338271490256608559692538361571095921575989136588898|9' >"$out/corpus/sequence_number/seed"

status=0
summary=""
for target in "${targets[@]}"; do
  corpus="$out/corpus/$target"
  artifacts="$out/artifacts/$target/"
  log="$out/$target.log"
  mkdir -p "$corpus" "$artifacts"
  echo "==> $target for ${seconds}s"
  set +e
  "$out/$host/release/$target" "$corpus" -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$artifacts" -rss_limit_mb=2048 \
    -max_len=65536 >"$log" 2>&1
  code=$?
  set -e
  executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  crashes=0
  if [ "$code" -ne 0 ]; then
    crashes=1
    status=1
    grep -E "^(==[0-9]+== ERROR|thread '.*' panicked|SUMMARY|artifact_prefix)|Test unit written" "$log" | head -5
  fi
  corpus_size="$(find "$corpus" -type f | wc -l)"
  line="result: $target executions=${executions:-0} crashes=$crashes seconds=$seconds corpus=$corpus_size"
  echo "$line"
  summary+="$line"$'\n'
done

echo
echo "==> summary"
printf '%s' "$summary"
exit "$status"
