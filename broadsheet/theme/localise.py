"""The theme speaks the site's language: its phrases from broadsheet/strings.py (with the
site's `strings:` overrides), its dates, times and numbers from Babel's CLDR data.

A pure function of the settings and a language tag, so pages stay fingerprinted by
their settings alone. An article in another language (`lang: ru`) gets that language's
words and date formats in its own parts of a page.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from broadsheet.theme.phrases import CATALOGUE, ENGLISH

PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
PLACEHOLDER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Localiser:
    """Phrases and dates for one site; results are kept per language, as a site uses few."""

    def __init__(self, language: str, overrides: Mapping[str, Any] | None = None):
        self.language = language
        self.overrides = dict(overrides or {})
        self._phrases: dict[str, dict[str, Any]] = {}
        self._locales: dict[str, Locale] = {}
        self._dates: dict[tuple, str] = {}

    def text(self, key: str, lang: str | None = None, **values: Any) -> str:
        """The phrase `key` in `lang` (default: the site's), its placeholders filled in;
        a `count` chooses the plural form and is written as the language writes numbers."""
        lang = lang or self.language
        phrase = self.phrases(lang)[key]
        if "count" in values:
            count = values["count"]
            if isinstance(phrase, dict):
                form = self.locale(lang).plural_form(count)
                phrase = phrase.get(form, phrase["other"])
            values = {**values, "count": format_decimal(count, locale=self.locale(lang))}
        if any(isinstance(v, Markup) for v in values.values()):
            return Markup(escape(phrase)).format(**values)  # HTML passed in stays HTML; the rest is escaped
        return phrase.format(**values)

    def phrases(self, lang: str) -> dict[str, Any]:
        """English, then the language, then its region, then the site's overrides (for
        the site's own language only: they are written in it)."""
        if lang not in self._phrases:
            merged = dict(ENGLISH)
            for tag in _fallbacks(lang):
                merged.update(CATALOGUE.get(tag, {}))
            if _same_language(lang, self.language):
                merged.update(self.overrides)
            self._phrases[lang] = merged
        return self._phrases[lang]

    def locale(self, lang: str | None = None) -> Locale:
        lang = lang or self.language
        if lang not in self._locales:
            self._locales[lang] = _babel_locale(lang)
        return self._locales[lang]

    def long_date(self, value: date | datetime, lang: str | None = None) -> str:
        """19 June 2025, 19 июня 2025 г., 19. Juni 2025, ..."""
        return self._date("long", value, lang)

    def full_date(self, value: date | datetime, lang: str | None = None) -> str:
        """With the day of the week: Thursday, 19 June 2025."""
        return self._date("full", value, lang)

    def month_year(self, value: date | datetime, lang: str | None = None) -> str:
        return self._date("yMMMM", value, lang)

    def short_time(self, value: datetime, lang: str | None = None) -> str:
        """The time of day as the language writes it, in the value's own time zone."""
        key = ("time", value, lang)
        if key not in self._dates:
            self._dates[key] = format_time(value, "short", tzinfo=value.tzinfo, locale=self.locale(lang))
        return self._dates[key]

    def _date(self, style: str, value: date | datetime, lang: str | None) -> str:
        day = value.date() if isinstance(value, datetime) else value
        key = (style, day, lang)
        if key not in self._dates:
            locale = self.locale(lang)
            if style in ("long", "full"):
                self._dates[key] = format_date(day, style, locale=locale)
            else:
                self._dates[key] = format_skeleton(style, day, locale=locale)
        return self._dates[key]


def _fallbacks(lang: str) -> list[str]:
    """pt-BR -> ["pt", "pt-BR"]: most general first, so the most specific wins."""
    parts = lang.split("-")
    return ["-".join(parts[: n + 1]).lower() for n in range(len(parts))]


def _same_language(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _babel_locale(lang: str) -> Locale:
    """The closest locale Babel knows: the tag, then its language alone, then English."""
    parts = lang.replace("_", "-").split("-")
    for n in range(len(parts), 0, -1):
        try:
            return Locale.parse("_".join(parts[:n]))
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def check_overrides(value: Any) -> list[tuple[str, str]]:
    """(key, message) for each wrong entry of the `strings:` setting."""
    if not isinstance(value, dict):
        return [("strings", "expected a mapping of phrase names to text, such as {read_at: 'Source: {source}'}")]
    problems = []
    for key, text in value.items():
        name = f"strings.{key}"
        if key not in ENGLISH:
            problems.append((name, f"unknown phrase (expected one of: {', '.join(sorted(ENGLISH))})"))
            continue
        default = ENGLISH[key]
        forms = text if isinstance(text, dict) else {"other": text}
        if isinstance(default, dict) and isinstance(text, dict) and "other" not in text:
            problems.append((name, "a phrase with plural forms needs at least 'other'"))
            continue
        for form, phrase in forms.items():
            message = _check_phrase(form, phrase, _placeholders(default))
            if message:
                problems.append((name, message))
                break
    return problems


def _check_phrase(form: Any, phrase: Any, allowed: set[str]) -> str | None:
    if form not in PLURAL_FORMS:
        return f"unknown plural form {form!r} (expected {', '.join(PLURAL_FORMS)})"
    if not isinstance(phrase, str):
        return "expected a string"
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(phrase)
            if name is not None
        ]
    except ValueError as exc:
        return f"cannot read the placeholders ({exc}); write a literal brace as {{{{ or }}}}"
    for name, spec, conversion in fields:
        # A name only: a format spec ({source:>99999999} pads every page to 100 MB), a
        # conversion or an attribute or index could make any page huge or fail to render.
        if spec or conversion or not PLACEHOLDER.fullmatch(name):
            written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            return f"placeholder {written} is not a plain name: write placeholders as {{name}} only"
    used = {name for name, _, _ in fields}
    unknown = used - allowed
    if unknown:
        names = ", ".join("{" + n + "}" for n in sorted(allowed)) or "none"
        return f"unknown placeholder {{{sorted(unknown)[0]}}} (this phrase can use: {names})"
    return None


def _placeholders(phrase: str | dict) -> set[str]:
    texts = phrase.values() if isinstance(phrase, dict) else [phrase]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name is not None}
