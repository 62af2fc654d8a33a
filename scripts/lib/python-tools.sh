# shellcheck shell=bash
# Pinned Python tools in a git-ignored venv, installed once.
#
#   ensure_python_tools VENV_DIR REQUIREMENTS_FILE
#
# The venv records a stamp of the requirements file, the interpreter and its
# own resolved path; while all three are unchanged a re-run returns at once. A
# changed pin rebuilds the venv from scratch, so nothing unpinned lingers.
#
# A venv's scripts name the directory it was created in, so it is created at
# its resolved path: reached through a symlinked `.tools` (a second working
# copy), it must not name a path that goes away with that copy.

ensure_python_tools() {
  local venv="$1" requirements="$2"
  local python="${PYTHON:-python3}"
  local stamp
  venv="$(realpath -m "$venv")"
  stamp="$({ "$python" --version 2>&1; echo "$venv"; cat "$requirements"; } | sha256sum | cut -d' ' -f1)"
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
