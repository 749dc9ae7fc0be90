"""The functions the output formats lend templates: structured data (JSON-LD) for a page,
and the sizes and smaller copies of the images an article body shows."""

from __future__ import annotations

from collections.abc import Callable

from broadsheet.build.config import Settings
from broadsheet.outputs import images, structured_data
from broadsheet.outputs.images import ImageInfo


def helpers(settings: Settings, pictures: dict[str, ImageInfo] | None = None) -> dict[str, Callable]:
    """Name -> function, for render.environment's template globals."""
    pictures = pictures or {}
    return {
        "image_info": pictures.get,
        "sized_images": lambda html, page_url: images.sized_images(html, page_url, pictures),
        "news_article": lambda entry, coverage=None: structured_data.news_article(entry, settings, coverage),
        "collection_page": lambda title, url, entries: structured_data.collection_page(title, url, entries, settings),
        "story_page": lambda coverage: structured_data.story_page(coverage, settings),
    }
