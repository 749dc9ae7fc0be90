"""The theme's phrases as gettext catalogues: the template `locale/broadsheet.pot` (English,
the source), one `locale/<lang>/LC_MESSAGES/broadsheet.po` per language, and a site's own
`locale/<lang>.po`, read with Babel into a `Phrases` record.

The record is part of the settings, so a page is fingerprinted by the phrases it may
use, and a change to any catalogue renders again the pages it touches. Each theme
phrase carries its name as msgctxt (`read_at`): the name `strings:` overrides use.
"""

from __future__ import annotations

import gettext
import io
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from broadsheet.problems import Problem, not_utf8

LOCALE = Path(__file__).parent / "locale"
TEMPLATE = LOCALE / "broadsheet.pot"
SITE_FOLDER = "locale"  # a site's catalogues: locale/<lang>.po
ENGLISH_PLURAL = "(n != 1)"
SEPARATOR = "\x04"  # between msgctxt and msgid, as GNU gettext keys them
PLACEHOLDER = re.compile(r"%(?:\((\w+)\)s|%)|%")  # %(name)s, a literal %%, or a stray %
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
SAMPLES = (*range(200), 1_000_000, 2_000_000)  # numbers that reach every plural form of a language


@dataclass(frozen=True)
class Catalogue:
    """One language's translations: gettext key -> forms (one, or one per plural form)."""

    plural: str  # the gettext plural expression
    messages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    origin: str = ""  # the file it came from, for warnings


@dataclass(frozen=True)
class Phrases:
    """Everything the site's pages may say: English (the template), every catalogue, and
    the site's `strings:` overrides (gettext forms, for its own language)."""

    english: dict[str, tuple[str, ...]]  # phrase name -> (msgid,) or (msgid, msgid_plural)
    catalogues: dict[str, Catalogue]  # normalised tag ("pt-br") -> catalogue
    language: str = "en"
    overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)


def key(context: str | None, msgid: str) -> str:
    return f"{context}{SEPARATOR}{msgid}" if context else msgid


def tag(lang: str) -> str:
    return lang.replace("_", "-").lower()


def fallbacks(lang: str) -> list[str]:
    """pt-BR -> ["pt-br", "pt"]: the most specific first."""
    parts = tag(lang).split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def is_english(lang: str) -> bool:
    return fallbacks(lang)[-1] == "en"


def babel_locale(lang: str) -> Locale:
    """The closest locale Babel knows: the tag, then its language alone, then English."""
    parts = lang.replace("_", "-").split("-")
    for n in range(len(parts), 0, -1):
        try:
            return Locale.parse("_".join(parts[:n]))
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def theme_phrases() -> Phrases:
    """The theme's catalogues alone (for callers without settings: tests, dates-only)."""
    english, catalogues, _ = _theme()
    return Phrases(english, dict(catalogues))


@lru_cache(maxsize=1)
def _theme() -> tuple[dict[str, tuple[str, ...]], dict[str, Catalogue], tuple[Problem, ...]]:
    """Read once per process: they are package files, the same for every site."""
    template, problems = _read(TEMPLATE, None)
    english = {m.context: _forms(m.id) for m in template if m.id and m.context} if template else {}
    catalogues = {}
    for path in sorted(LOCALE.glob("*/LC_MESSAGES/broadsheet.po")):
        lang = tag(path.parent.parent.name)
        catalogue, more = _catalogue(path, lang, str(path))
        problems += more
        if catalogue is not None:
            catalogues[lang] = catalogue
    return english, catalogues, tuple(problems)


def load(site_dir: Path, language: str, overrides: dict[str, Any]) -> tuple[Phrases, list[Problem]]:
    """The theme's catalogues, the site's `locale/<lang>.po` over them, the overrides on
    top; an error for a catalogue that cannot be read (`file:line: message`), a warning
    for each phrase the site's language lacks (English stands in)."""
    english, theme, theme_problems = _theme()
    problems = list(theme_problems)
    catalogues = dict(theme)
    folder = site_dir / SITE_FOLDER
    files = sorted(folder.glob("*.po")) if folder.is_dir() else []
    for path in files:
        lang = tag(path.stem)
        catalogue, more = _catalogue(path, lang, f"{SITE_FOLDER}/{path.name}")
        problems += more
        if catalogue is not None:
            base = catalogues.get(lang)
            if base is not None and base.plural == catalogue.plural:
                catalogue = Catalogue(catalogue.plural, {**base.messages, **catalogue.messages}, catalogue.origin)
            catalogues[lang] = catalogue
    phrases = Phrases(english, catalogues, language, {})
    phrases = Phrases(english, catalogues, language, _overrides(phrases, overrides))
    return phrases, problems + _missing(phrases)


def plural_of(phrases: Phrases, lang: str) -> str:
    """The plural expression of the most specific catalogue for `lang` (English's when none)."""
    for name in fallbacks(lang):
        if name in phrases.catalogues:
            return phrases.catalogues[name].plural
    return ENGLISH_PLURAL


def cldr_forms(forms: tuple[str, ...], plural: str, lang: str) -> dict[str, str]:
    """gettext forms -> {CLDR category: text}, for the search page's script (Intl.PluralRules)."""
    choose, locale = gettext.c2py(plural), babel_locale(lang)
    found: dict[str, str] = {}
    for n in SAMPLES:
        found.setdefault(locale.plural_form(n), forms[min(choose(n), len(forms) - 1)])
    found.setdefault("other", forms[-1])  # a category for decimals only (ru, uk): never chosen for a count
    return {form: found[form] for form in PLURAL_FORMS if form in found}


def placeholders(text: str) -> set[str]:
    return {m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1)}


def _forms(value: str | tuple | list) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _read(path: Path, lang: str | None) -> tuple[Catalog | None, list[Problem]]:
    where = str(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        return None, [Problem(where, 0, "", f"cannot read the catalogue ({exc.strerror})")]
    except UnicodeDecodeError as exc:
        return None, [not_utf8(where, raw, exc)]
    try:
        return read_po(io.StringIO(text), locale=_locale_name(lang), abort_invalid=True), []
    except PoFileError as exc:
        message = str(exc).split(" on ", 1)[0].split(" at line ", 1)[0]
        return None, [Problem(where, getattr(exc, "lineno", 0) or 0, "", f"not a readable .po file: {message}")]
    except Exception as exc:  # Babel raises plain errors for some damage (a bad header): one line, never a traceback
        return None, [Problem(where, 0, "", f"not a readable .po file: {exc}")]


def _locale_name(lang: str | None) -> str | None:
    if lang is None:
        return None
    try:
        return str(Locale.parse(lang.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return None


def _catalogue(path: Path, lang: str, where: str) -> tuple[Catalogue | None, list[Problem]]:
    """A .po file -> its translated messages; each translation checked against its msgid's
    placeholders, so that no page can fail to render for a translator's typo."""
    catalog, problems = _read(path, lang)
    if catalog is None:
        return None, [Problem(where, p.line, p.field, p.message) for p in problems]
    plural = catalog.plural_expr
    try:
        gettext.c2py(plural)
    except ValueError:
        return None, [Problem(where, 0, "Plural-Forms", f"cannot read the plural expression {plural!r}")]
    messages: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        forms = _forms(message.string)
        if not all(forms):
            continue  # untranslated: English stands in
        ids = _forms(message.id)
        wrong = _check(ids, forms, catalog.num_plurals)
        if wrong:
            problems.append(Problem(where, message.lineno, message.context or ids[0][:40], wrong))
            continue
        messages[key(message.context, ids[0])] = forms
    return Catalogue(plural, messages, where), problems


def _check(ids: tuple[str, ...], forms: tuple[str, ...], plurals: int) -> str | None:
    if len(ids) > 1 and len(forms) != plurals:
        return f"{len(forms)} plural forms, but the catalogue's Plural-Forms says {plurals}"
    allowed = set().union(*(placeholders(i) for i in ids))
    for text in forms:
        for match in PLACEHOLDER.finditer(text):
            if match.group(0) == "%":
                return "a lone % (write %% for a percent sign, %(name)s for a placeholder)"
            name = match.group(1)
            if name and name not in allowed:
                names = ", ".join(f"%({n})s" for n in sorted(allowed)) or "none"
                return f"unknown placeholder %({name})s (this message can use: {names})"
    return None


def _overrides(phrases: Phrases, overrides: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """`strings:` ({name} placeholders, CLDR plural categories) -> gettext forms for the
    site's language (checked beforehand by localise.check_overrides)."""
    plural = plural_of(phrases, phrases.language)
    choose, locale = gettext.c2py(plural), babel_locale(phrases.language)
    count = int(re.search(r"nplurals\s*=\s*(\d+)", plural).group(1)) if "nplurals" in plural else None  # type: ignore[union-attr]
    converted = {}
    for name, text in overrides.items():
        if name not in phrases.english:
            continue
        if len(phrases.english[name]) == 1 and isinstance(text, str):
            converted[name] = (from_format(text),)
            continue
        table = text if isinstance(text, dict) else {"other": text}
        forms = []
        for index in range(count or _plural_count(choose)):
            n = next((n for n in SAMPLES if choose(n) == index), 0)
            category = locale.plural_form(n)
            forms.append(from_format(table.get(category, table["other"])))
        converted[name] = tuple(forms)
    return converted


def _plural_count(choose: Any) -> int:
    return max(choose(n) for n in SAMPLES) + 1


def from_format(text: str) -> str:
    """'Read at {source}' (str.format, as `strings:` is written) -> 'Read at %(source)s'."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(text):
        out.append(literal.replace("%", "%%"))
        if name is not None:
            out.append(f"%({name})s")
    return "".join(out)


def to_format(text: str) -> str:
    """'Read at %(source)s' -> 'Read at {source}', for the search page's script."""
    return PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}" if m.group(1) else "%", text)


def _missing(phrases: Phrases) -> list[Problem]:
    """A warning for each theme phrase the site's language has no translation of."""
    lang = phrases.language
    if is_english(lang):
        return []
    found = [phrases.catalogues[name] for name in fallbacks(lang) if name in phrases.catalogues]
    if not found:
        return [
            Problem(
                "",
                0,
                "language",
                f"no phrase catalogue for {lang!r}; the theme's phrases are in English "
                f"(add {SITE_FOLDER}/{lang}.po: README, 'Languages')",
                warning=True,
            )
        ]
    problems = []
    for name, ids in phrases.english.items():
        if name in phrases.overrides or any(key(name, ids[0]) in c.messages for c in found):
            continue
        problems.append(
            Problem(found[0].origin, 0, name, f"{lang}: no translation of {ids[0]!r}; English used", warning=True)
        )
    return problems
