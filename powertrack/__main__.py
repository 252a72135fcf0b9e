"""Run the command line with ``python -m powertrack``."""

from powertrack.cli.main import main

main()
