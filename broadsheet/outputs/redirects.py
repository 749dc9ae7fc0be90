"""Redirects from the old addresses of moved articles to their URLs, written into the output
so every host serves them: a small page at each old path (canonical link, meta refresh, a
visible link: any host, any browser) and `_redirects` at the output's root (Netlify and
Cloudflare Pages answer with a real 301; the S3 target reads it for its redirect header).

Old addresses come from two places: an article's `aliases:` (by hand), and the record of
published URLs (`build/published.py`): a URL an earlier publish put online whose article
(the same content file) now has another URL. An alias wins over the record for one path.
A story page is recorded under its first article's file: when the story's URL moves (its
first article retitled, its `story:` key renamed), the old one leads to the story that
article is in now, or to the article when it is in none.
Redirect pages are not pages of the site: no sitemap, feed or search index lists them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from markupsafe import Markup

from broadsheet.build import claims
from broadsheet.build.config import Settings
from broadsheet.build.coverage import STORIES_PATH
from broadsheet.build.model import Entry, SiteModel
from broadsheet.build.published import RECORD, output_file
from broadsheet.theme.localise import Localiser

NETLIFY = "_redirects"


@dataclass(frozen=True, order=True)
class Redirect:
    old: str  # site path, without base_url's path: "/2025/06/19/old-slug/"
    new: str  # the article's URL, with base_url's path: "/digest/2025/06/19/new-slug/"
    source: str  # the file that asks for it: the article (aliases) or the record
    line: int = 0  # its line in the record; 0 for an alias (found in the front matter when needed)

    def claim(self) -> claims.Claim:
        if self.source == RECORD:
            return claims.Claim(
                output_file(self.old),
                f"the redirect from {self.old} to {self.new}",
                RECORD,
                "",
                claims.REDIRECT,
                line=self.line,
            )
        return claims.Claim(
            output_file(self.old), f"the redirect from alias {self.old}", self.source, "aliases", claims.REDIRECT
        )


def plan(model: SiteModel, record: dict[str, tuple[str, int]]) -> list[Redirect]:
    """Every redirect asked for, sorted: aliases of the published articles, then the
    record's URLs whose article is published at another URL now. A recorded article that
    is gone (deleted, a draft again) gets none: its old address rightly answers 404."""
    aliases = [
        Redirect(alias, e.url, e.article.path) for e in model.entries for alias in e.article.extra.get("aliases", ())
    ]
    by_source = {e.article.path: e for e in model.entries}
    written = {r.old for r in aliases}  # one alias in two articles stays two claims: an error naming both
    recorded = []
    for old, (source, line) in sorted(record.items()):
        entry = by_source.get(source)
        if entry is None or old in written:
            continue
        path, url = _now_at(model, entry, old)
        if old != path:
            recorded.append(Redirect(old, url, RECORD, line))
    return sorted(aliases + recorded)


def _now_at(model: SiteModel, entry: Entry, old: str) -> tuple[str, str]:
    """(site path, URL) where a recorded path's article is now: an old story page's is the
    story the article is in (or the article, in none), any other old path's the article."""
    story = model.story_of.get(entry.url) if old.startswith("/" + STORIES_PATH) else None
    if story is not None:
        return "/" + story.path, story.url
    return "/" + entry.path, entry.url


def site_urls(model: SiteModel) -> dict[str, str]:
    """Site path -> content file of every article published, and of every story page (its
    first article's file): what a publish records."""
    urls = {"/" + e.path: e.article.path for e in model.entries}
    urls.update({"/" + s.path: s.entries[0].article.path for s in model.stories})
    return urls


def outputs(redirects: list[Redirect], settings: Settings) -> dict[str, bytes]:
    """Output path -> bytes: a page for each redirect, and `_redirects` (none when there
    are none, so a site without moved stories has no extra file)."""
    files = {output_file(r.old): page(r, settings) for r in redirects}
    if redirects:
        base = settings.base_path.rstrip("/")
        lines = sorted(f"{base}{r.old} {r.new} 301\n" for r in redirects)
        files[NETLIFY] = "".join(lines).encode("utf-8")
    return files


def claims_of(redirects: list[Redirect]) -> list[claims.Claim]:
    """The redirect pages' claims, and `_redirects`: a site's own static/_redirects (rules
    written for Netlify by hand) replaces ours, as static/robots.txt replaces robots.txt."""
    netlify = [claims.Claim(NETLIFY, "the generated _redirects", replaceable=True)] if redirects else []
    return [*(r.claim() for r in redirects), *netlify]


def page(redirect: Redirect, settings: Settings) -> bytes:
    """A page any browser follows at once, that search engines fold into the new URL
    (the canonical link), and that a reader without meta refresh can follow by hand."""
    target = html.escape(settings.absolute(redirect.new))
    words = Localiser(settings.language, settings.phrases)
    title = html.escape(words.pgettext("moved_title", "Moved to %(url)s", url=settings.absolute(redirect.new)))
    moved = words.pgettext("moved_text", "This page has moved to %(url)s", url=settings.absolute(redirect.new))
    link = words.pgettext(
        "moved_text", "This page has moved to %(url)s", url=Markup(f'<a href="{target}">{target}</a>')
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(settings.language)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        f'<meta name="description" content="{html.escape(moved)}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<link rel="canonical" href="{target}">\n'
        f'<meta http-equiv="refresh" content="0; url={target}">\n'
        "</head>\n<body>\n"
        f"<p>{link}.</p>\n"
        "</body>\n</html>\n"
    ).encode()
