#!/usr/bin/env bash
# The whole pipeline on this machine, no AWS account needed:
#
#   1. builds the `streamdlq` command (debug: it compiles much faster);
#   2. `streamdlq local up`: emulators, the template's resources, the ESM and
#      SNS -> hydrate delivery, in the background;
#   3. scenario 1: puts events/test-records-without-poison-pill.json; every
#      record is processed and the DLQ stays empty;
#   4. scenario 2: puts events/test-records-with-poison-pill.json; the
#      processor stops at the poison pill (Boron's mass sent as a string, in
#      the middle of the records) and answers partially at it; the retried
#      rest starts with the pill, so the processor fails the invocation and
#      the ESM bisects until the pill is alone; the ESM gives up on it, and
#      the DLQ holds exactly the poison pill, hydrated byte-exact, while every
#      other record is processed; the script shows it;
#   5. scenario 3, the demo table: `streamdlq put-items` puts five elements
#      as items, the third (Lithium) with its mass as a string; the table
#      processor fails it, its DynamoDB Streams mapping bisects and gives up
#      on it, hydrate re-reads it from the table's stream, and the DLQ holds
#      exactly that stream record (keys, event name, images), shown by
#      `streamdlq read-dlq`; then the fix (PROCESSOR_SCHEMA_MODE=lenient,
#      as the processor takes it) and `streamdlq replay --to-function
#      table-processor`, after which no table failure is left in the DLQ;
#   6. `streamdlq local down`, also when something failed.
#
# Exits non-zero when an expectation fails. Prints the wall time of both
# scenarios (builds excluded) and the latency from putting the poison pill to
# its hydrated DLQ message.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

# How long a scenario may take before it counts as failed.
TIMEOUT_SECONDS="${DEMO_TIMEOUT_SECONDS:-60}"

echo "==> emulators (scripts/install-tools.sh)"
scripts/install-tools.sh

echo "==> build (cargo build -p streamdlq)"
cargo build --locked -p streamdlq  # its progress shows: a cold build takes minutes
target_dir="${CARGO_TARGET_DIR:-$root/target}"
streamdlq="$target_dir/debug/streamdlq"
python="${STREAMDLQ_TOOLS_DIR:-$root/.tools}/venv/bin/python"

# Its own stack, so that a stack the user runs is neither reused nor stopped.
export STREAMDLQ_STATE_DIR="${STREAMDLQ_STATE_DIR:-$root/.streamdlq/demo}"
# The processor logs each element at debug (a line per record at info would
# cost a 10,000-record batch more than its work); the demo reads those lines.
processor_log_level="${RUST_LOG:-info,processor=debug}"
serve_log="$STREAMDLQ_STATE_DIR/serve.log"
work="$(mktemp -d)"

finish() {
  local status=$?
  "$streamdlq" local down >/dev/null 2>&1 || true
  rm -rf "$work"
  if ((status != 0)); then
    echo "demo FAILED (exit $status)" >&2
  fi
  exit "$status"
}
trap finish EXIT

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# The two steps that talk to the stack from outside, as a user would.
put_records() { # FILE -> JSON [{shardId, sequenceNumber, data}]
  "$python" scripts/lib/local_aws.py put-records "$1"
}
read_dlq() { # MIN_MESSAGES TIMEOUT_SECONDS -> JSON array of DLQ bodies
  "$python" scripts/lib/local_aws.py read-dlq --wait "$1" --timeout "$2"
}

# Atomic numbers the processor logged since byte OFFSET of its log.
processed_since() { # OFFSET
  tail -c +"$(($1 + 1))" "$serve_log" |
    grep 'element received' | sed -n 's/.*atomic_number=\([0-9]*\).*/\1/p' | sort -n | uniq | paste -sd' '
}

wait_processed() { # OFFSET EXPECTED
  local deadline=$((SECONDS + TIMEOUT_SECONDS))
  until [[ "$(processed_since "$1")" == "$2" ]]; do
    ((SECONDS < deadline)) || fail "expected elements $2 to be processed, saw: $(processed_since "$1")"
    sleep 0.1
  done
}

started="$EPOCHREALTIME"
echo "==> streamdlq local up"
"$streamdlq" local down >/dev/null 2>&1 || true
exports="$(RUST_LOG="$processor_log_level" "$streamdlq" local up)"
eval "$exports"

echo "==> scenario 1: ten valid elements"
offset="$(stat -c %s "$serve_log")"
put_records events/test-records-without-poison-pill.json >"$work/put1.json"
wait_processed "$offset" "1 2 3 4 5 6 7 8 9 10"
echo "    every record processed (elements 1-10)"
[[ "$(read_dlq 0 0)" == "[]" ]] || fail "the DLQ is not empty after scenario 1"
echo "    DLQ empty"

echo "==> scenario 2: the same elements, Boron's mass sent as a string (in the middle)"
offset="$(stat -c %s "$serve_log")"
put_records events/test-records-with-poison-pill.json >"$work/put2.json"
put_at="$EPOCHREALTIME"
read_dlq 1 "$TIMEOUT_SECONDS" >"$work/dlq.json"
dlq_at="$EPOCHREALTIME"
wait_processed "$offset" "1 2 3 4 6 7 8 9 10"
echo "    elements 1-4 and 6-10 processed; Boron was not"
"$python" - "$work/put2.json" "$work/dlq.json" <<'PY' || fail "the DLQ does not hold exactly the poison pill"
import base64, json, sys

put = json.load(open(sys.argv[1]))
dlq = json.load(open(sys.argv[2]))
pills = [i for i, r in enumerate(put)
         if b'"AtomicMass":"' in base64.b64decode(r["data"])]
assert len(pills) == 1, f"expected one poison pill in the file, found {len(pills)}"
pill = put[pills[0]]
assert len(dlq) == 1, f"{len(dlq)} DLQ messages, expected 1"
message = dlq[0]
assert message["schema"] == "streamdlq/hydrated-failure/v1", message.get("schema")
assert message["part"] == {"index": 0, "count": 1}, message["part"]
assert message["hydration"]["status"] == "complete", message["hydration"]
records = message["records"]
assert len(records) == 1, f"{len(records)} records, expected exactly the poison pill"
record = records[0]
assert record["sequenceNumber"] == pill["sequenceNumber"], "not the poison pill's sequence number"
assert record["data"] == pill["data"], "the payload is not byte-exact"
info = message["failure"]["KinesisBatchInfo"]
assert info["startSequenceNumber"] == info["endSequenceNumber"] == pill["sequenceNumber"]
print("    the DLQ holds exactly the poison pill, byte-exact (the ESM bisected the batch to isolate it):")
print(f"      shard {info['shardId']}, sequence number {record['sequenceNumber']}")
print(f"      condition {message['failure']['requestContext']['condition']}, "
      f"invocations {message['failure']['requestContext']['approximateInvokeCount']}, "
      f"functionError {json.dumps(message['failure']['responseContext']['functionError'])}")
print(f"      payload {base64.b64decode(record['data']).decode()}")
PY
echo "==> streamdlq read-dlq: what a user sees (inspecting never consumes)"
"$streamdlq" read-dlq || fail "streamdlq read-dlq failed"
[[ "$(read_dlq 0 0)" != "[]" ]] || fail "reading the DLQ consumed it"

echo "==> scenario 3: five elements into the demo table, Lithium's mass sent as a string"
table_started="$EPOCHREALTIME"
"$streamdlq" put-items --count 5 --poison-pill 3 --json >"$work/items.json" ||
  fail "streamdlq put-items failed"
# The DLQ still holds scenario 2's pill: wait for a second failure.
read_dlq 2 "$TIMEOUT_SECONDS" >"$work/dlq3.json"
"$streamdlq" read-dlq --json --stream "$STREAMDLQ_TABLE_STREAM_ARN" >"$work/table-failures.json" ||
  fail "streamdlq read-dlq --stream (the table's) failed"
"$python" - "$work/table-failures.json" "$STREAMDLQ_TABLE_STREAM_ARN" <<'PY' || fail "the DLQ does not hold exactly the poison item"
import json, sys

failures = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
assert len(failures) == 1, f"{len(failures)} table failures, expected 1"
failure = failures[0]
assert failure["status"] == "complete", failure["status"]
records = failure["dynamodbRecords"]
assert len(records) == 1, f"{len(records)} stream records, expected exactly the poison item"
record = records[0]
change = record["dynamodb"]
assert record["eventName"] == "INSERT", record["eventName"]
assert change["Keys"] == {"AtomicNumber": {"N": "3"}}, change["Keys"]
assert change["NewImage"] == {
    "AtomicNumber": {"N": "3"}, "Element": {"S": "Lithium"},
    "Symbol": {"S": "Li"}, "AtomicMass": {"S": "6.94"},
}, change["NewImage"]
assert "OldImage" not in change, "an INSERT has no old image"
assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES", change["StreamViewType"]
info = failure["failure"]["DDBStreamBatchInfo"]
assert info["streamArn"] == sys.argv[2], info["streamArn"]
assert info["startSequenceNumber"] == info["endSequenceNumber"] == change["SequenceNumber"]
print("    the DLQ holds exactly the poison item's stream record (the mapping bisected to isolate it):")
print(f"      {record['eventName']} keys {json.dumps(change['Keys'])}, sequence number {change['SequenceNumber']}")
print(f"      condition {failure['failure']['requestContext']['condition']}, "
      f"invocations {failure['failure']['requestContext']['approximateInvokeCount']}")
print(f"      NewImage {json.dumps(change['NewImage'])}")
PY
echo "==> streamdlq read-dlq --stream (the table's stream)"
"$streamdlq" read-dlq --stream "$STREAMDLQ_TABLE_STREAM_ARN" || fail "streamdlq read-dlq failed"
echo "==> the fix (PROCESSOR_SCHEMA_MODE=lenient), then streamdlq replay --to-function table-processor"
PROCESSOR_SCHEMA_MODE=lenient "$streamdlq" replay --to-function table-processor \
  --stream "$STREAMDLQ_TABLE_STREAM_ARN" --json >"$work/replay.json" ||
  fail "streamdlq replay --to-function table-processor failed: $(cat "$work/replay.json")"
"$streamdlq" read-dlq --json --stream "$STREAMDLQ_TABLE_STREAM_ARN" >"$work/left.json" ||
  fail "streamdlq read-dlq failed after the replay"
[[ ! -s "$work/left.json" ]] || fail "table failures left in the DLQ after the replay: $(cat "$work/left.json")"
[[ "$("$python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' <(read_dlq 0 0))" == 1 ]] ||
  fail "the replay touched more than the table's failure"
table_finished="$EPOCHREALTIME"
echo "    replayed into the fixed table processor: no table failure left in the DLQ (scenario 2's pill stays)"

echo "==> streamdlq local down"
"$streamdlq" local down
finished="$EPOCHREALTIME"

wall="$(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.2f", b - a }')"
latency="$(awk -v a="$put_at" -v b="$dlq_at" 'BEGIN { printf "%.2f", b - a }')"
table="$(awk -v a="$table_started" -v b="$table_finished" 'BEGIN { printf "%.2f", b - a }')"
echo
echo "demo passed"
echo "result: wall time ${wall} s (up, both scenarios, down; builds excluded)"
echo "result: poison pill put -> hydrated DLQ message ${latency} s"
echo "result: table scenario (put-items -> DLQ -> read-dlq -> replay) ${table} s"
