"""The search index for /search/, built at build time and searched in the browser."""

from __future__ import annotations

from broadsheet.config import Settings
from broadsheet.model import SiteModel


def search_outputs(model: SiteModel, settings: Settings) -> dict[str, bytes]:
    """Output path -> bytes of the search index (and anything else search needs)."""
    return {}
