#!/usr/bin/env bash
# The test command: formatting, lints as errors, then every test.
# On a fresh machine it first installs what the tests need (pinned, into
# git-ignored project dirs); re-runs skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> emulators (scripts/install-tools.sh)"
scripts/install-tools.sh

echo "==> infra/template.yaml: translate, cfn-lint, checkov, template tests (scripts/validate-template.sh)"
scripts/validate-template.sh

echo "==> cargo fmt --check"
cargo fmt --all --check

echo "==> cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

echo "==> cargo test"
cargo test --workspace --all-features --locked

echo "==> end to end: scripts/demo.sh (the README's first command)"
scripts/demo.sh
