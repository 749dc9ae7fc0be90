"""A saved or fetched HTML page -> Draft. trafilatura finds the story and the metadata;
the story goes through the sanitiser to Markdown; the pasted-text rules then catch what
trafilatura let through ("Read more" lines, a site's own patterns)."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import htmldate
import lxml.html
import trafilatura

from broadsheet.build.config import ImportSettings
from broadsheet.importer import rules
from broadsheet.importer.dates import parse_iso
from broadsheet.importer.draft import Draft, Picture
from broadsheet.importer.markdown import html_to_markdown, tidy
from broadsheet.importer.photo import photo_line
from broadsheet.importer.segment import strip_boilerplate

LINK_TEXT = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def read_page(html: str, origin: str, url: str, source_name: str, settings: ImportSettings, tz: ZoneInfo) -> Draft:
    """ValueError when the page has no article text to find."""
    meta = trafilatura.extract_metadata(html, default_url=url or None)
    page_url = (meta.url if meta and meta.url else url) or ""
    story = trafilatura.extract(
        html, url=page_url or None, output_format="html", include_links=True, include_images=True,
        include_formatting=True, include_tables=True, include_comments=False, favor_precision=True,
    )  # fmt: skip
    if not story:
        raise ValueError("no article text found in the page")
    title = (meta.title if meta and meta.title else "").strip()
    sitename = (meta.sitename if meta and meta.sitename else "").strip()
    rule = rules.matching_rule(settings, source_name or sitename, page_url)
    name = source_name or (rule.name if rule else "") or sitename
    picture = _picture(html, page_url, (meta.image if meta else "") or "")
    body = _body(html_to_markdown(story), title, picture, rules.rules_for(settings, name, page_url))
    if not title or not body.strip():
        raise ValueError("no headline or no article text found in the page")
    authors = tuple(a.strip() for a in re.split(r";|,| and ", meta.author or "") if a.strip()) if meta else ()
    return Draft(origin, title, body, _date(html, tz), page_url, name, rules.home_page(page_url), authors, picture)


def _body(markdown: str, title: str, picture: Picture | None, line_rules: rules.LineRules) -> str:
    blocks = [b for b in markdown.split("\n\n") if b.strip()]
    if blocks and blocks[0].lstrip("# ").strip() == title:
        blocks = blocks[1:]  # the headline is the title, not a paragraph
    if picture and picture.src:
        blocks = [b for b in blocks if not (b.startswith("![") and picture.src in b)]
    plain = {b: LINK_TEXT.sub(r"\1", b).strip() for b in blocks}
    kept = set(strip_boilerplate([plain[b] for b in blocks], line_rules))
    return tidy("\n\n".join(b for b in blocks if plain[b] in kept))


def _date(html: str, tz: ZoneInfo) -> datetime | None:
    found = htmldate.find_date(html, outputformat="%Y-%m-%dT%H:%M:%S%z", original_date=True, extensive_search=False)
    return parse_iso(found, tz) if found else None


def _picture(html: str, page_url: str, meta_image: str) -> Picture | None:
    """The lead image: the page's og:image, with the alt text and caption of its <figure>."""
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None
    images = [(img, urljoin(page_url, img.get("src", ""))) for img in tree.iter("img") if img.get("src")]
    lead = next((pair for pair in images if meta_image and pair[1] == meta_image), None)
    lead = lead or next(((img, src) for img, src in images if _figure(img) is not None), None)
    if lead is None:
        return Picture(src=meta_image, alt="") if meta_image.startswith(("http://", "https://")) else None
    img, src = lead
    figure = _figure(img)
    caption_node = figure.find(".//figcaption") if figure is not None else None
    caption = " ".join(caption_node.text_content().split()) if caption_node is not None else ""
    found = photo_line(caption)
    caption, credit = (found.caption, found.credit) if found else (caption, "")
    return Picture(src=src, alt=" ".join((img.get("alt") or "").split()), caption=caption, credit=credit)


def _figure(img):
    return next((a for a in img.iterancestors("figure")), None)
