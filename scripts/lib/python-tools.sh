# shellcheck shell=bash
# Pinned Python tools in a git-ignored venv, installed once.
#
#   ensure_python_tools VENV_DIR REQUIREMENTS_FILE
#
# The venv records a stamp of the requirements file and the interpreter; while
# both are unchanged a re-run returns at once. A changed pin rebuilds the venv
# from scratch, so nothing unpinned lingers.

ensure_python_tools() {
  local venv="$1" requirements="$2"
  local python="${PYTHON:-python3}"
  local stamp
  stamp="$({ "$python" --version 2>&1; cat "$requirements"; } | sha256sum | cut -d' ' -f1)"
  if [[ -x "$venv/bin/python" && "$(cat "$venv/.requirements-stamp" 2>/dev/null)" == "$stamp" ]]; then
    return 0
  fi
  echo "==> installing pinned tools from $requirements into $venv (first run only)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  "$venv/bin/python" -m pip check --disable-pip-version-check >/dev/null
  echo "$stamp" >"$venv/.requirements-stamp"
}
