#!/usr/bin/env bash
# Set up the development environment (.venv) and run the whole test suite:
# ruff check, ruff format --check, mypy, then pytest. CI runs exactly this.
# Extra arguments go to pytest, e.g. ./scripts/test.sh -m 'not e2e' -x
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/_venv.sh
ensure_venv test.sh test

echo "==> ruff check ."
.venv/bin/ruff check .
echo "==> ruff format --check ."
.venv/bin/ruff format --check .
echo "==> mypy provider sandbox"
.venv/bin/mypy provider sandbox

echo "==> pytest"
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  # pytest's "no tests collected" must never pass as success.
  echo "test.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
