#!/usr/bin/env bash
# Proves `sam build` works on a fresh machine without Docker or an AWS account:
# aws-sam-cli, cargo-lambda and zig come pinned from PyPI (.tools/sam-venv),
# cargo-lambda cross-compiles every function for arm64 with zig as the linker,
# and the script checks that each function got an aarch64 `bootstrap`.
#
#   scripts/sam-build.sh [sam build args]             the demo stack (template.yaml)
#   scripts/sam-build.sh --hydrator [sam build args]  the standalone hydrator (hydrator.yaml)
#
# The demo nests the hydrator, so `sam build` puts the hydrate function under
# the application's directory (Hydrator/HydrateFunction).
#
# Slow (a release build of the functions): kept out of scripts/test.sh.
# Extra arguments go to `sam build`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/lib/python-tools.sh

VENV=.tools/sam-venv
TARGET=aarch64-unknown-linux-gnu
BUILD_DIR=infra/.aws-sam/build
# Each function's build directory under BUILD_DIR, exactly.
if [[ "${1:-}" == "--hydrator" ]]; then
  shift
  TEMPLATE=hydrator.yaml
  FUNCTIONS=(HydrateFunction)
else
  TEMPLATE=template.yaml
  FUNCTIONS=(ProcessorFunction TableProcessorFunction Hydrator/HydrateFunction)
fi

ensure_python_tools "$VENV" infra/tools/build.txt

# cargo-lambda's --arm64 builds for this target; rustup must have its std.
if ! rustup target list --installed | grep -qx "$TARGET"; then
  echo "==> rustup target add $TARGET"
  rustup target add "$TARGET" || {
    echo "sam-build: cannot install the Rust standard library for $TARGET;" >&2
    echo "  install it with \`rustup target add $TARGET\` where the Rust toolchain server is reachable" >&2
    exit 1
  }
fi

# The venv first on PATH: `sam`, `cargo-lambda`, and the python3 whose
# ziglang package cargo-lambda runs as its zig (`python3 -m ziglang`).
export PATH="$root/$VENV/bin:$PATH"
export SAM_CLI_TELEMETRY=0

echo "==> sam build $TEMPLATE (rust-cargolambda, arm64)"
rm -rf "$BUILD_DIR"
(cd infra && sam build --template-file "$TEMPLATE" "$@")

# An ELF file whose e_machine (2 bytes at offset 18) is 0xb7 is an aarch64 binary.
status=0
for function in "${FUNCTIONS[@]}"; do
  artifact="$BUILD_DIR/$function/bootstrap"
  if [[ ! -x "$artifact" ]]; then
    echo "sam-build: FAIL $function: no executable $artifact" >&2
    status=1
    continue
  fi
  magic=$(od -An -tx1 -N4 "$artifact" | tr -d ' \n')
  machine=$(od -An -tx1 -j18 -N2 "$artifact" | tr -d ' \n')
  if [[ "$magic" != "7f454c46" || "$machine" != "b700" ]]; then
    echo "sam-build: FAIL $function: $artifact is not an aarch64 ELF executable" >&2
    status=1
    continue
  fi
  echo "sam-build: ok   $function: $artifact (aarch64 ELF, $(stat -c %s "$artifact") bytes)"
done
exit "$status"
