"""Pages -> HTML bytes through Jinja. The site's templates/ override the theme's."""

from __future__ import annotations

import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from broadsheet.config import Settings
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
    env.filters.update(
        absolute=lambda url: settings.origin + url,
        long_date=long_date,
        short_time=lambda dt: f"{dt:%H:%M}",
        isoformat=lambda d: d.isoformat(),
        plural=lambda n, one, many: one if n == 1 else many,
    )
    return env


def long_date(value: date | datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def render_pages(pages: list[Page], env: jinja2.Environment, site_dir: Path, common: dict[str, Any]) -> tuple[dict[str, bytes], list[Problem]]:
    output: dict[str, bytes] = {}
    problems: set[Problem] = set()
    templates: dict[str, jinja2.Template] = {}
    for page in pages:
        try:
            if page.template not in templates:
                templates[page.template] = env.get_template(page.template)
            html = templates[page.template].render({**common, **page.context})
        except Exception as exc:  # any template error: report it, keep going to find the rest
            problems.add(template_problem(exc, page.template, site_dir))
            continue
        output[page.path] = html.encode("utf-8")
    return output, sorted(problems)


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
