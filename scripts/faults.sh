#!/usr/bin/env bash
# The hydrate function under a long storm of injected faults, end to end:
# the real binary under a fake Lambda Runtime API, its Kinesis and SQS calls
# through seeded fault proxies in front of kinesis-local and moto, SIGKILL in
# the middle of multi-part writes, Lambda's redelivery; then the DLQ read
# back by the harness's own reader (crates/hydrate/tests/faults/).
#
#   scripts/faults.sh [--seed N] [--faults N] [--self-check]
#
# --faults N     keep going until at least N faults were injected (1000)
# --seed N       seed of the data and of every proxy's fault generator (1)
# --self-check   also corrupt one byte on its way to the queue: the harness
#                must notice, report it as altered and exit non-zero
#
# Prints the faults injected by kind, the invocations (redeliveries, kills),
# and a closing line
#   result: faults=N sabotage=S failures=F records=R lost=L altered=A seconds=T
# Exits non-zero when any failure was lost or altered.
set -euo pipefail
cd "$(dirname "$0")/.."

seed=1
faults=1000
sabotage=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed="$2"; shift 2 ;;
    --faults) faults="$2"; shift 2 ;;
    --self-check) sabotage="corrupt"; shift ;;
    *) echo "usage: scripts/faults.sh [--seed N] [--faults N] [--self-check]" >&2; exit 2 ;;
  esac
done

scripts/install-tools.sh >/dev/null
set +e
FAULTS_SEED="$seed" FAULTS_MIN="$faults" FAULTS_SABOTAGE="$sabotage" \
  cargo test --locked -p hydrate --test faults -- --ignored --exact long_storm --nocapture
code=$?
set -e
if [ -n "$sabotage" ]; then
  if [ "$code" -ne 0 ]; then
    echo "self-check: the harness noticed the corrupted byte (exit $code)"
  else
    echo "self-check FAILED: a corrupted byte went unnoticed" >&2
  fi
fi
exit "$code"
