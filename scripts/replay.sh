#!/usr/bin/env bash
# Replays the hydrated failures from the DLQ: into the stream they came
# from by default, or straight into a function.
#
#   scripts/replay.sh --dry-run                 # what would happen
#   scripts/replay.sh                           # back into the stream
#   PROCESSOR_SCHEMA_MODE=lenient scripts/replay.sh --to-function processor
#   scripts/replay.sh --stack streamdlq --to-function processor
#
# Arguments go to `streamdlq replay` (see its --help).
set -euo pipefail
source "$(dirname "$0")/lib/streamdlq.sh"
streamdlq replay "$@"
