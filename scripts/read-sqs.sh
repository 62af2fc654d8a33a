#!/usr/bin/env bash
# Shows the hydrated failures in the DLQ without consuming them.
#
#   scripts/read-sqs.sh                         # local stack
#   scripts/read-sqs.sh --stack streamdlq       # deployed stack
#   scripts/read-sqs.sh --json | jq .records    # for scripts
#
# Arguments go to `streamdlq read-dlq` (see its --help).
set -euo pipefail
source "$(dirname "$0")/lib/streamdlq.sh"
streamdlq read-dlq "$@"
