"""Run the benchmarks: ``.venv/bin/python -m bench [--quick]``."""

import sys

from bench.cli import main

sys.exit(main())
