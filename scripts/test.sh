#!/usr/bin/env bash
# The test command: formatting, lints as errors, then every test.
# On a fresh machine it first installs what the tests need (pinned, into
# git-ignored project dirs); re-runs skip what is already there.
#
# Every stage runs even when an earlier one failed (except the tests when
# they do not build), and the last line sums them all: cargo's `test result:`
# lines, the template checks, and fmt, clippy and the demo as one check each.
# The exit code is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

check() { # STATUS NAME: counts a stage that is one check
  if [[ $1 -eq 0 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $2"
  fi
}

echo "==> emulators (scripts/install-tools.sh)"
scripts/install-tools.sh
check $? "installing the emulators"

echo "==> infra/template.yaml: translate, cfn-lint, checkov, template tests (scripts/validate-template.sh)"
scripts/validate-template.sh 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
counts="$(sed -n 's/^validate-template: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -1)"
if [[ -n "$counts" ]]; then
  read -r p f <<<"$counts"
  passed=$((passed + p))
  failed=$((failed + f))
  if [[ $status -ne 0 && $f -eq 0 ]]; then failed=$((failed + 1)); fi
else
  check "$status" "validating the template"
fi

echo "==> cargo fmt --check"
cargo fmt --all --check
check $? "cargo fmt --check"

echo "==> cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
check $? "cargo clippy"

echo "==> build the tests (cargo test --no-run; a cold build takes minutes)"
if cargo test --workspace --all-features --locked --no-run; then
  echo "==> cargo test"
  cargo test --workspace --all-features --locked 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # "test result: ok. 12 passed; 0 failed; 0 ignored; …", one per test binary.
  read -r p f < <(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed;.*/\1 \2/p' "$log" |
    awk '{p += $1; f += $2} END {print p + 0, f + 0}')
  passed=$((passed + p))
  failed=$((failed + f))
  # A test binary that crashed prints no result line.
  if [[ $status -ne 0 && $f -eq 0 ]]; then check 1 "cargo test"; fi
else
  check 1 "building the tests"
fi

echo "==> end to end: scripts/demo.sh (the README's first command)"
scripts/demo.sh
check $? "scripts/demo.sh"

echo
echo "test.sh: cargo tests, template checks, fmt, clippy and the demo"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
