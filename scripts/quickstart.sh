#!/usr/bin/env bash
# Quick start: set up .venv, then share one IP between two sandbox servers
# with Terraform and tear it down again (see scripts/quickstart.py).
# Options go to quickstart.py; try --help.
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
    echo "quickstart.sh: Python >= 3.11 is needed (set PYTHON=/path/to/python3.11)" >&2
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
  echo "==> installing the project (and the bundled Terraform 1.0.3) into .venv"
  "$venv_python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
  cp pyproject.toml "$stamp"
fi

exec "$venv_python" scripts/quickstart.py "$@"
