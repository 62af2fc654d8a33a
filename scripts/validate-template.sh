#!/usr/bin/env bash
# Offline validation of both templates — no AWS account, no network:
# infra/hydrator.yaml (the standalone hydrator) and infra/template.yaml (the
# demo stack, which nests it).
#
#   1. translate SAM -> CloudFormation with aws-sam-translator (no AWS calls)
#   2. cfn-lint the translation (where the generated event source mapping,
#      subscription and invoke config are checked, and the parameters the
#      demo passes to the nested hydrator) and the SAM source
#   3. checkov on both; every waiver sits in the template with its reason
#   4. pytest infra/tests: both stacks' invariants, each proven able to fail
#
# Installs its pinned tools into .tools/infra-venv on the first run.
# Exits non-zero if any step fails; prints a summary either way.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/python-tools.sh

VENV=.tools/infra-venv
TEMPLATES=(infra/hydrator.yaml infra/template.yaml)
export PYTHONDONTWRITEBYTECODE=1

now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds_since() { local ms=$(($(now_ms) - $1)); printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100)); }

started=$(now_ms)
ensure_python_tools "$VENV" infra/tools/validate.txt || {
  echo "validate-template: could not install the tools from infra/tools/validate.txt" >&2
  exit 1
}

results=()
passed=0
failed=0

# step NAME COMMAND... : runs one step, records its outcome and duration.
step() {
  local name="$1"
  shift
  echo "==> $name"
  local begin status seconds
  begin=$(now_ms)
  "$@"
  status=$?
  seconds=$(seconds_since "$begin")
  if [[ $status -eq 0 ]]; then
    results+=("  ok    $name (${seconds}s)")
    passed=$((passed + 1))
  else
    results+=("  FAIL  $name (${seconds}s, exit $status)")
    failed=$((failed + 1))
  fi
  return "$status"
}

for template in "${TEMPLATES[@]}"; do
  file=$(basename "$template")
  translated="target/infra/${file%.yaml}.json"
  if step "$file: translate SAM to CloudFormation" "$VENV/bin/python" infra/tests/translate.py "$template" "$translated"; then
    step "$file: cfn-lint (translated template and SAM source)" "$VENV/bin/cfn-lint" "$translated" "$template"
    step "$file: checkov (SAM source and translated template)" \
      "$VENV/bin/checkov" --quiet --compact --skip-download --framework cloudformation \
      -f "$template" -f "$translated"
  else
    results+=("  FAIL  $file: cfn-lint, checkov (not run: translation failed)")
    failed=$((failed + 1))
  fi
done
step "invariants of both templates (pytest infra/tests)" \
  "$VENV/bin/python" -m pytest -p no:cacheprovider -q infra/tests

total=$(seconds_since "$started")
echo
echo "validate-template summary (${total}s):"
printf '%s\n' "${results[@]}"
echo "validate-template: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
