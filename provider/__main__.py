"""`python -m provider`: what the installed launcher execs."""

import sys

from provider.cli import main

sys.exit(main())
