"""The record every reader of an input produces and the writer consumes."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Picture:
    src: str = ""  # empty when pasted text named a photo's caption or credit but not its file
    alt: str = ""
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class Draft:
    origin: str  # the file or URL it came from, for messages
    title: str
    body: str  # Markdown, sanitised
    date: datetime | None = None  # None: not found; the writer uses now and warns
    url: str = ""  # the original article
    source_name: str = ""
    source_url: str = ""
    authors: tuple[str, ...] = ()
    picture: Picture | None = None
    standfirst: str = ""  # the outlet's own summary under the headline, kept for the editor (never `summary`)


def text_hash(markdown: str) -> str:
    """The same story pasted twice, with other spacing, punctuation or case, hashes the same."""
    words = " ".join(WORDS.findall(markdown.lower()))
    return "sha256:" + hashlib.sha256(words.encode("utf-8")).hexdigest()
