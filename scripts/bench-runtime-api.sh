#!/usr/bin/env bash
# The processor against Powertools for AWS Lambda (Python), side by side in
# one run: a 10,000-record Kinesis event (6.3 MiB) handed to each function
# through its own fake Lambda Runtime API on 127.0.0.1, the two invoked in
# turn, each invocation timed from handing the event to receiving the answer
# (scripts/lib/runtime_api_bench.py), with the processor's breakdown
# (hand-off, deserialisation, processing, response), the ratio of the
# medians and of each round, and both peak RSS figures. The processor runs
# with its GLIBC_TUNABLES from infra/template.yaml. Prints "result:" lines.
#
# Builds the release processor, and installs aws-lambda-powertools (pinned)
# into the git-ignored .tools/bench-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

POWERTOOLS_VERSION="3.37.0"
venv="${STREAMDLQ_TOOLS_DIR:-$root/.tools}/bench-venv"
if ! "$venv/bin/python" -c "import aws_lambda_powertools" >/dev/null 2>&1; then
  echo "==> installing aws-lambda-powertools==${POWERTOOLS_VERSION} into ${venv}" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "aws-lambda-powertools==${POWERTOOLS_VERSION}"
fi

cargo build --release --locked --quiet -p processor
target_dir="${CARGO_TARGET_DIR:-$root/target}"

exec "$venv/bin/python" scripts/lib/runtime_api_bench.py \
  --processor "$target_dir/release/processor" \
  --powertools-python "$venv/bin/python" "$@"
