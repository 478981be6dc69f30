"""`python -m batchctl` runs the CLI."""

from batchctl.cli.main import main

main()
