"""sitemap.xml, news-sitemap.xml and robots.txt."""

from __future__ import annotations

from datetime import datetime

from broadsheet.config import Settings
from broadsheet.model import SiteModel
from broadsheet.routes import Page


def sitemap_outputs(pages: list[Page], model: SiteModel, settings: Settings, now: datetime) -> dict[str, bytes]:
    """Output path -> bytes, for the sitemaps and robots.txt."""
    return {}
