#!/usr/bin/env bash
# Puts the demo's test records into the stream: the periodic table from
# events/test-records-without-poison-pill.json, or with --poison-pill the
# file whose Boron record sends AtomicMass as a string.
#
#   scripts/put-records.sh                      # local stack
#   scripts/put-records.sh --poison-pill
#   scripts/put-records.sh --stack streamdlq    # deployed stack
#   scripts/put-records.sh --count 1000 --size 512 --json
#
# Other arguments go to `streamdlq put-records` (see its --help); with
# --count or --file no test file is added.
set -euo pipefail
source "$(dirname "$0")/lib/streamdlq.sh"

file="$STREAMDLQ_ROOT/events/test-records-without-poison-pill.json"
args=()
own_input=false
for arg in "$@"; do
  case "$arg" in
    --poison-pill) file="$STREAMDLQ_ROOT/events/test-records-with-poison-pill.json" ;;
    --count | --count=* | --file | --file=* | -f) own_input=true; args+=("$arg") ;;
    *) args+=("$arg") ;;
  esac
done
if [[ "$own_input" == false ]]; then
  args=(--file "$file" "${args[@]}")
fi
streamdlq put-records "${args[@]}"
