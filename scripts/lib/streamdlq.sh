# Sourced by the scripts: defines `streamdlq`, which runs the CLI.
#
# Uses $STREAMDLQ_BIN when set (a built binary, e.g. target/release/streamdlq),
# else `cargo run` from this repository. When the local stack's state file
# exists it is passed on (STREAMDLQ_STATE_FILE), so the scripts work from any
# directory; `--stack NAME` (or STREAMDLQ_STACK) or `--aws` still selects a
# deployed stack instead, as the CLI documents.

STREAMDLQ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [[ -z "${STREAMDLQ_STATE_FILE:-}" && -f "$STREAMDLQ_ROOT/.streamdlq/state.json" ]]; then
  export STREAMDLQ_STATE_FILE="$STREAMDLQ_ROOT/.streamdlq/state.json"
fi

streamdlq() {
  if [[ -n "${STREAMDLQ_BIN:-}" ]]; then
    "$STREAMDLQ_BIN" "$@"
  else
    cargo run --quiet --locked --manifest-path "$STREAMDLQ_ROOT/Cargo.toml" -p streamdlq -- "$@"
  fi
}
