#!/usr/bin/env bash
# Puts the demo's test records into the stream: the periodic table from
# events/test-records-without-poison-pill.json, or with a bare --poison-pill
# the file whose Boron record sends AtomicMass as a string.
#
#   scripts/put-records.sh                      # local stack
#   scripts/put-records.sh --poison-pill        # the test file with the pill
#   scripts/put-records.sh --poison-pill 3      # ten generated elements, the third a pill
#   scripts/put-records.sh --stack streamdlq    # deployed stack
#   scripts/put-records.sh --count 1000 --size 512 --json
#
# Every other argument goes to `streamdlq put-records` as given (see its
# --help). `--poison-pill N` is the CLI's flag: it generates records, ten
# unless --count says otherwise. With --count or --file no test file is added.
set -euo pipefail
source "$(dirname "$0")/lib/streamdlq.sh"

file="$STREAMDLQ_ROOT/events/test-records-without-poison-pill.json"
args=()
own_input=false
generated_pill=false
while (($#)); do
  arg="$1"
  shift
  case "$arg" in
    --poison-pill)
      if (($#)) && [[ "$1" =~ ^[0-9]+$ ]]; then
        args+=("$arg" "$1")
        shift
        generated_pill=true
      else
        file="$STREAMDLQ_ROOT/events/test-records-with-poison-pill.json"
      fi
      ;;
    --poison-pill=*) args+=("$arg"); generated_pill=true ;;
    --count | --count=* | --file | --file=* | -f) own_input=true; args+=("$arg") ;;
    *) args+=("$arg") ;;
  esac
done
if [[ "$own_input" == false && "$generated_pill" == true ]]; then
  args=(--count 10 "${args[@]}")
elif [[ "$own_input" == false ]]; then
  args=(--file "$file" "${args[@]}")
fi
streamdlq put-records "${args[@]}"
