"""`python3 -m batchctl.runner COMMAND ...` is the same as `batchctl-run COMMAND ...`."""

import sys

from .main import main

sys.exit(main())
