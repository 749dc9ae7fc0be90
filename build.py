"""Build the demo digest: `python build.py` (or any `broadsheet` command and its arguments)."""

import sys

from broadsheet.cli import main

if __name__ == "__main__":
    sys.exit(main(default_command="build"))
