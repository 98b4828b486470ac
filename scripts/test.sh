#!/usr/bin/env bash
# Set up the development environment (.venv) and run the whole test suite:
# ruff check, ruff format --check, then pytest. CI runs exactly this.
# Extra arguments go to pytest, e.g. ./scripts/test.sh -m 'not e2e' -x
set -euo pipefail
cd "$(dirname "$0")/.."

venv_python=.venv/bin/python
if [ ! -x "$venv_python" ]; then
  python=""
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python=$candidate
      break
    fi
  done
  if [ -z "$python" ]; then
    echo "test.sh: Python >= 3.11 is needed (set PYTHON=/path/to/python3.11)" >&2
    exit 1
  fi
  echo "==> creating .venv with $python"
  "$python" -m venv .venv
fi

# Reinstall only when pyproject.toml changed since the last install into this .venv.
stamp=.venv/.installed-pyproject.toml
if cmp -s pyproject.toml "$stamp"; then
  echo "==> .venv is up to date with pyproject.toml"
else
  echo "==> installing the project with its test extra into .venv"
  "$venv_python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
  cp pyproject.toml "$stamp"
fi

echo "==> ruff check ."
.venv/bin/ruff check .
echo "==> ruff format --check ."
.venv/bin/ruff format --check .

echo "==> pytest"
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  # pytest's "no tests collected" must never pass as success.
  echo "test.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
