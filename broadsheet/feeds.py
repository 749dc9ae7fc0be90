"""Atom, RSS 2.0 and JSON Feed 1.1 for the site and for each tag, section and source."""

from __future__ import annotations

from datetime import datetime

from broadsheet.config import Settings
from broadsheet.model import SiteModel


def feed_outputs(model: SiteModel, settings: Settings) -> dict[str, bytes]:
    """Output path -> feed bytes."""
    return {}
