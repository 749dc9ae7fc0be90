"""The options of `broadsheet import`, apart from the command so that other commands start
without loading the extraction libraries."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="a .txt file of pasted article text, an .html page, a feed file (RSS, Atom, JSON), a folder of them, or an http(s) URL of a page or feed",
    )
    p.add_argument(
        "--subscriptions",
        action="store_true",
        help="fetch the feeds listed under import: subscriptions: in broadsheet.yaml and import the entries not seen before",
    )
    p.add_argument("--section", help="the section (a sub-folder of content/) to write into")
    p.add_argument("--source-name", metavar="NAME", help="the outlet's name, when the page or feed does not give it")
    p.add_argument("--tags", default="", metavar="A,B", help="comma-separated tags for every imported article")
    p.add_argument("--force", action="store_true", help="import again and overwrite articles imported before")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="fetch URLs on loopback and private addresses too (a newsroom's intranet); refused by default",
    )
    p.add_argument("--dry-run", action="store_true", help="print what would be written, and write nothing")
