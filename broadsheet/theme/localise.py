"""The theme speaks the site's language: its phrases from the gettext catalogues
(theme/catalogue.py: the theme's .po files, the site's locale/<lang>.po, `strings:`),
its dates, times and numbers from Babel's CLDR data.

A pure function of the settings and a language tag, so pages stay fingerprinted by
their settings alone. An article in another language (`lang: ru`) gets that language's
words and date formats in its own parts of a page.
"""

from __future__ import annotations

import gettext as gnu
import re
import string
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup, escape

from broadsheet.theme import catalogue
from broadsheet.theme.catalogue import PLURAL_FORMS, Phrases

if TYPE_CHECKING:
    from babel import Locale

PLACEHOLDER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Localiser:
    """Phrases and dates for one site; results are kept per language, as a site uses few."""

    def __init__(self, language: str, phrases: Phrases | None = None):
        self.language = language
        self.catalogues = phrases or catalogue.theme_phrases()
        self._plural_functions: dict[str, Callable[[int], int]] = {}
        self._locales: dict[str, Locale] = {}
        self._dates: dict[tuple, str] = {}
        self._found: dict[tuple, tuple[tuple[str, ...], str]] = {}  # a page asks for the same phrases again and again
        self._numbers: dict[tuple[int, str | None], str] = {}
        self._said: dict[tuple, str] = {}

    # --- gettext ---------------------------------------------------------------------

    def forms(self, context: str | None, ids: tuple[str, ...], lang: str | None = None) -> tuple[tuple[str, ...], str]:
        """The translation's forms and the plural expression they follow: the site's
        overrides (its own language), then the most specific catalogue, then English."""
        key = (context, ids, lang)
        if key not in self._found:
            self._found[key] = self._forms(context, ids, lang or self.language)
        return self._found[key]

    def _forms(self, context: str | None, ids: tuple[str, ...], lang: str) -> tuple[tuple[str, ...], str]:
        phrases = self.catalogues
        own = context and catalogue.tag(lang) == catalogue.tag(phrases.language) and context in phrases.overrides
        if own and context and phrases.english.get(context, ())[:1] == ids[:1]:
            return phrases.overrides[context], catalogue.plural_of(phrases, lang)
        wanted = catalogue.key(context, ids[0])
        for name in catalogue.fallbacks(lang):
            found = phrases.catalogue(name)
            if found is not None and wanted in found.messages:
                return found.messages[wanted], found.plural
        return ids, catalogue.ENGLISH_PLURAL

    def translate(
        self,
        context: str | None,
        ids: tuple[str, ...],
        n: int | None,
        lang: str | None,
        values: dict,
        html: bool = False,
    ) -> str:
        """The message filled in: `n` chooses the plural form, and is written, as `count`
        and `num`, as the language writes numbers. HTML passed in stays HTML; with `html`
        the result is Markup, the message and the other values escaped."""
        if n is None and not values:  # most of a page's phrases ("Archive", "Next"): made once
            key = (context, ids, lang, html)
            if key not in self._said:
                self._said[key] = self._fill(context, ids, None, lang, {}, html)
            return self._said[key]
        return self._fill(context, ids, n, lang, values, html)

    def _fill(
        self, context: str | None, ids: tuple[str, ...], n: int | None, lang: str | None, values: dict, html: bool
    ) -> str:
        forms, plural = self.forms(context, ids, lang)
        text = forms[0]
        if n is not None:
            text = forms[min(self._choose(plural)(n), len(forms) - 1)]
            number = self.number(n, lang)
            values = {"count": number, "num": number, **values}
        if html or any(isinstance(v, Markup) for v in values.values()):
            # Markup stays as it is, the rest is escaped: what Markup's own % does, without
            # its per-value helper objects (the dearest part of a page's phrases).
            return Markup(str(escape(text)) % {name: escape(value) for name, value in values.items()})
        return text % values

    def gettext(self, msgid: str, lang: str | None = None, **values: Any) -> str:
        return self.translate(None, (msgid,), None, lang, values)

    def ngettext(self, singular: str, plural: str, n: int, lang: str | None = None, **values: Any) -> str:
        return self.translate(None, (singular, plural), n, lang, values)

    def pgettext(self, context: str, msgid: str, lang: str | None = None, **values: Any) -> str:
        return self.translate(context, (msgid,), None, lang, values)

    def npgettext(
        self, context: str, singular: str, plural: str, n: int, lang: str | None = None, **values: Any
    ) -> str:
        return self.translate(context, (singular, plural), n, lang, values)

    # --- by name, as `strings:` and older site templates call them ---------------------

    def text(self, key: str, lang: str | None = None, **values: Any) -> str:
        """The theme phrase named `key` (`read_at`); a `count` chooses the plural form."""
        ids = self.catalogues.english[key]
        n = values.pop("count", None) if len(ids) > 1 else None
        if "count" in values:
            values["count"] = self.number(values["count"], lang)
        return self.translate(key, ids, n, lang, values)

    def phrase(self, key: str, lang: str | None = None) -> str | dict[str, str]:
        """The phrase named `key` as the search page's script fills it in: {name}
        placeholders, and a phrase with a count as {CLDR category: text}."""
        return self.script_phrase(key, self.catalogues.english[key], lang)

    def script_phrase(self, context: str, ids: tuple[str, ...], lang: str | None = None) -> str | dict[str, str]:
        lang = lang or self.language
        forms, plural = self.forms(context, ids, lang)
        if len(ids) == 1:
            return catalogue.to_format(forms[0])
        english = plural == catalogue.ENGLISH_PLURAL and forms == ids
        cldr = catalogue.cldr_forms(forms, plural, "en" if english else lang)
        return {form: catalogue.to_format(text) for form, text in cldr.items()}

    def jinja_globals(self) -> dict[str, Callable]:
        """gettext and friends for Jinja's i18n extension (newstyle: the call fills in the
        values; under autoescape the message is escaped and the result is Markup)."""

        def html(eval_ctx: Any) -> bool:
            return bool(eval_ctx.autoescape)

        @jinja2.pass_eval_context
        def gettext(eval_ctx: Any, msgid: str, lang: str | None = None, **values: Any) -> str:
            return self.translate(None, (msgid,), None, lang, values, html(eval_ctx))

        @jinja2.pass_eval_context
        def ngettext(eval_ctx: Any, singular: str, plural: str, n: int, lang: str | None = None, **values: Any) -> str:
            return self.translate(None, (singular, plural), n, lang, values, html(eval_ctx))

        @jinja2.pass_eval_context
        def pgettext(eval_ctx: Any, context: str, msgid: str, lang: str | None = None, **values: Any) -> str:
            return self.translate(context, (msgid,), None, lang, values, html(eval_ctx))

        @jinja2.pass_eval_context
        def npgettext(
            eval_ctx: Any, context: str, singular: str, plural: str, n: int, lang: str | None = None, **values: Any
        ) -> str:
            return self.translate(context, (singular, plural), n, lang, values, html(eval_ctx))

        return {
            "gettext": gettext,
            "_": gettext,
            "ngettext": ngettext,
            "pgettext": pgettext,
            "npgettext": npgettext,
            "t": self.text,
            "phrase": self.phrase,
            # The search page's phrases, filled in by its script: msgids written out for pybabel extract.
            "js_phrase": lambda context, msgid: self.script_phrase(context, (msgid,)),
            "js_nphrase": lambda context, singular, plural: self.script_phrase(context, (singular, plural)),
        }

    def number(self, n: int, lang: str | None = None) -> str:
        """n as the language writes it (1,234 or 1 234), kept: pages count the same few numbers."""
        if (n, lang) not in self._numbers:
            from babel.numbers import format_decimal  # here: a build with nothing to do formats nothing

            self._numbers[n, lang] = format_decimal(n, locale=self.locale(lang))
        return self._numbers[n, lang]

    def _choose(self, plural: str) -> Callable[[int], int]:
        """The plural expression as a function, compiled once per expression."""
        if plural not in self._plural_functions:
            self._plural_functions[plural] = gnu.c2py(plural)
        return self._plural_functions[plural]

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
            from babel.dates import format_time

            self._dates[key] = format_time(value, "short", tzinfo=value.tzinfo, locale=self.locale(lang))
        return self._dates[key]

    def _date(self, style: str, value: date | datetime, lang: str | None) -> str:
        day = value.date() if isinstance(value, datetime) else value
        key = (style, day, lang)
        if key not in self._dates:
            from babel.dates import format_date, format_skeleton

            locale = self.locale(lang)
            if style in ("long", "full"):
                self._dates[key] = format_date(day, style, locale=locale)
            else:
                self._dates[key] = format_skeleton(style, day, locale=locale)
        return self._dates[key]


def _babel_locale(lang: str) -> Locale:
    return catalogue.babel_locale(lang)


def check_overrides(value: Any) -> list[tuple[str, str]]:
    """(key, message) for each wrong entry of the `strings:` setting."""
    if not isinstance(value, dict):
        return [("strings", "expected a mapping of phrase names to text, such as {read_at: 'Source: {source}'}")]
    problems = []
    english = {name: ids if len(ids) > 1 else ids[0] for name, ids in catalogue.theme_phrases().english.items()}
    for key, text in value.items():
        name = f"strings.{key}"
        if key not in english:
            problems.append((name, f"unknown phrase (expected one of: {', '.join(sorted(english))})"))
            continue
        default = english[key]
        forms = text if isinstance(text, dict) else {"other": text}
        if isinstance(default, tuple) and isinstance(text, dict) and "other" not in text:
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


def _placeholders(phrase: str | tuple) -> set[str]:
    texts = phrase if isinstance(phrase, tuple) else [phrase]
    return set().union(*(catalogue.placeholders(text) for text in texts))
