"""``python -m analyzer``: the container entry point."""
import sys

from analyzer.cli import main

sys.exit(main())
