"""``python -m sandbox`` runs the ``rackspace-sandbox`` command line."""

import sys

from sandbox.cli import main

sys.exit(main())
