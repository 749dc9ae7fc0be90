"""Pages -> HTML bytes through Jinja. The site's templates/ override the theme's."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

import jinja2

from broadsheet import metadata
from broadsheet.config import Settings
from broadsheet.fingerprint import ContextHasher, template_digests
from broadsheet.problems import Problem
from broadsheet.routes import Page

THEME_TEMPLATES = Path(__file__).parent / "theme" / "templates"


def environment(site_dir: Path, settings: Settings, fingerprints: dict[str, str]) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(site_dir / "templates"), jinja2.FileSystemLoader(THEME_TEMPLATES)]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    base = settings.base_path
    env.globals.update(
        site=settings,
        url_for=lambda path="": base + str(path).lstrip("/"),
        asset=lambda path: base + fingerprints.get(path.lstrip("/"), path.lstrip("/")),
    )
    env.globals.update(
        news_article=lambda entry: metadata.news_article(entry, settings),
        collection_page=lambda title, url, entries: metadata.collection_page(title, url, entries, settings),
    )
    env.filters.update(
        absolute=lambda url: metadata.absolute(settings, url),
        long_date=long_date,
        short_time=lambda dt: f"{dt:%H:%M}",
        isoformat=lambda d: d.isoformat(),
        plural=lambda n, one, many: one if n == 1 else many,
    )
    return env


def long_date(value: date | datetime) -> str:
    return f"{value.day} {value:%B %Y}"


@dataclass
class RenderResult:
    pages: dict[str, bytes | None]  # None: as the last build wrote it, and still so on disk
    fingerprints: dict[str, bytes]  # page path -> fingerprint of everything it was made from
    problems: list[Problem]
    rendered: int  # pages actually rendered


def render_pages(
    pages: list[Page],
    env: jinja2.Environment,
    site_dir: Path,
    common: dict[str, Any],
    unchanged: Callable[[str, bytes], bool] = lambda path, fingerprint: False,
    site_digest: bytes = b"",
    hasher: ContextHasher | None = None,
    advance: Callable[[int], None] | None = None,
) -> RenderResult:
    """Render every page but those that `unchanged` says are on disk as they would come out."""
    result = RenderResult({}, {}, [], 0)
    problems: set[Problem] = set()
    digests = _template_digests(env, pages)
    hasher = hasher or ContextHasher()
    templates: dict[str, jinja2.Template] = {}
    for number, page in enumerate(pages, start=1):
        if advance and number % 100 == 0:
            advance(100)
        fingerprint = None
        if digests is not None:
            fingerprint = site_digest + digests[page.template] + hasher.digest(page.context)
            if unchanged(page.path, fingerprint):
                result.pages[page.path] = None
                result.fingerprints[page.path] = fingerprint
                continue
        try:
            if page.template not in templates:
                templates[page.template] = env.get_template(page.template)
            html = templates[page.template].render({**common, **page.context})
        except Exception as exc:  # any template error: report it, keep going to find the rest
            problems.add(template_problem(exc, page.template, site_dir))
            continue
        result.rendered += 1
        result.pages[page.path] = html.encode("utf-8")
        if fingerprint is not None:
            result.fingerprints[page.path] = fingerprint
    result.problems = sorted(problems)
    return result


def _template_digests(env: jinja2.Environment, pages: list[Page]) -> dict[str, bytes] | None:
    """None when a template cannot even be read or parsed: then render all, to report it."""
    try:
        return template_digests(env, {p.template for p in pages})
    except (jinja2.TemplateError, OSError):
        return None


def template_problem(exc: Exception, template: str, site_dir: Path) -> Problem:
    """Name the template file and line where an error happened."""
    filename, line = getattr(exc, "filename", None), getattr(exc, "lineno", None) or 0
    if not filename:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith((".html", ".xml", ".txt", ".json")):
                filename, line = frame.filename, frame.lineno or 0
                break
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem("", 0, template, f"template not found: {exc.name}")
    return Problem(_template_name(filename, template, site_dir), line, "", f"template error: {message}")


def _template_name(filename: str | None, fallback: str, site_dir: Path) -> str:
    if not filename:
        return f"templates/{fallback}"
    path = Path(filename).resolve()
    try:
        return path.relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return str(path)  # a theme template: its full path
