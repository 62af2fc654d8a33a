#!/usr/bin/env bash
# Installs the local AWS emulators, pinned, into the git-ignored `.tools/`:
#   .tools/npm   kinesis-local (Kinesis: 56-digit sequence numbers, iterators
#                that expire after 5 minutes)
#   .tools/venv  moto[server] (SNS and SQS with real SNS -> SQS fan-out)
# Needs only Python 3 (with venv) and Node/npm. Idempotent: a stamp per tool
# records the pinned version, so a re-run with everything present is instant.
set -euo pipefail

KINESIS_LOCAL_VERSION="0.6.2"
MOTO_VERSION="5.2.5"

for command in node npm python3; do
  command -v "$command" >/dev/null || {
    echo "install-tools: '$command' not found; the emulators need Node.js (with npm) and Python 3" >&2
    exit 1
  }
done

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${STREAMDLQ_TOOLS_DIR:-$root/.tools}"
mkdir -p "$tools"

# The stamp holds the version; a different pin or a half-finished install
# (no stamp, or a missing entry point) means reinstall.
installed() { # stamp-file version entry-point
  [[ -f "$1" && "$(cat "$1")" == "$2" && -e "$3" ]]
}

install_kinesis_local() {
  local stamp="$tools/npm/.kinesis-local.version"
  local entry="$tools/npm/node_modules/kinesis-local/main.js"
  if installed "$stamp" "$KINESIS_LOCAL_VERSION" "$entry"; then
    echo "kinesis-local $KINESIS_LOCAL_VERSION: already installed"
    return
  fi
  rm -f "$stamp"
  mkdir -p "$tools/npm"
  npm install --prefix "$tools/npm" --no-save --no-audit --no-fund \
    --loglevel=error "kinesis-local@$KINESIS_LOCAL_VERSION" >/dev/null
  echo "$KINESIS_LOCAL_VERSION" >"$stamp"
  echo "kinesis-local $KINESIS_LOCAL_VERSION: installed into $tools/npm"
}

install_moto() {
  local venv="$tools/venv"
  local stamp="$venv/.moto.version"
  if installed "$stamp" "$MOTO_VERSION" "$venv/bin/moto_server"; then
    echo "moto $MOTO_VERSION: already installed"
    return
  fi
  rm -f "$stamp"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" || {
    echo "install-tools: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  }
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "moto[server]==$MOTO_VERSION"
  echo "$MOTO_VERSION" >"$stamp"
  echo "moto $MOTO_VERSION: installed into $venv"
}

install_kinesis_local
install_moto
