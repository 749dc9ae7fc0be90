"""`broadsheet import` from the command line, where the `import` extra may not be installed.

The importer's libraries (trafilatura, feedparser and the rest: pyproject.toml's `import`
extra) are not installed with Broadsheet itself; without them the command says which extra
to install, in one line, instead of a traceback. No other command imports them."""

from __future__ import annotations

import argparse
import sys

from broadsheet.problems import EXIT_PROBLEMS

# The top-level modules of the `import` extra's packages (and of what they need), as imported.
EXTRA_MODULES = frozenset(
    {
        "trafilatura",
        "feedparser",
        "nh3",
        "markdownify",
        "htmldate",
        "dateparser",
        "lxml",
        "lxml_html_clean",
        "justext",
        "charset_normalizer",
        "courlan",
    }
)


def run(args: argparse.Namespace) -> int:
    try:
        from broadsheet.importer.command import run as import_run
    except ImportError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in EXTRA_MODULES:
            raise
        print(
            f"broadsheet: error: import needs the 'import' extra ({missing} is not installed): pip install 'broadsheet[import]'",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    return import_run(args)
