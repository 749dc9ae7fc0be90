"""The theme's phrases as gettext catalogues: the template `locale/broadsheet.pot` (English,
the source), one `locale/<lang>/LC_MESSAGES/broadsheet.po` per language, and a site's own
`locale/<lang>.po`, read with Babel into a `Phrases` record.

The record is part of the settings, so a page is fingerprinted by the phrases it may
use, and a change to any catalogue renders again the pages it touches. Each theme
phrase carries its name as msgctxt (`read_at`): the name `strings:` overrides use.
"""

from __future__ import annotations

import gettext
import hashlib
import io
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadsheet.problems import Problem, not_utf8

if TYPE_CHECKING:
    from babel import Locale
    from babel.messages.catalog import Catalog

LOCALE = Path(__file__).parent / "locale"
TEMPLATE = LOCALE / "broadsheet.pot"
SITE_FOLDER = "locale"  # a site's catalogues: locale/<lang>.po
ENGLISH_PLURAL = "(n != 1)"
SEPARATOR = "\x04"  # between msgctxt and msgid, as GNU gettext keys them
PLACEHOLDER = re.compile(r"%(?:\((\w+)\)s|%)|%")  # %(name)s, a literal %%, or a stray %
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
SAMPLES = (*range(200), 1_000_000, 2_000_000)  # numbers that reach every plural form of a language


def pgettext(context: str, message: str) -> tuple[str, str]:
    """Marks a phrase for `pybabel extract` (README, "Languages") where no code says it."""
    return context, message


# Phrases the theme's templates do not say, offered to a site's own templates
# (t('image_credit', credit=...)) and to `strings:`; written as calls so that the
# extraction keeps them in broadsheet.pot.
OFFERED = (pgettext("image_credit", "Image: %(credit)s"),)


@dataclass(frozen=True)
class Catalogue:
    """One language's translations: gettext key -> forms (one, or one per plural form)."""

    plural: str  # the gettext plural expression
    messages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    origin: str = ""  # the file it came from, for warnings


@dataclass(frozen=True)
class Source:
    """One catalogue file. Pages are fingerprinted by its content digest, and it is parsed
    only when a page asks for its language, once per process (see _parsed)."""

    lang: str  # normalised tag ("pt-br")
    path: str  # where it is read from
    where: str  # as warnings name it: broadsheet/theme/locale/..., or locale/<lang>.po in the site
    digest: str  # of its bytes


@dataclass(frozen=True)
class Phrases:
    """Everything the site's pages may say: English (the template), the catalogues (the
    theme's, then the site's), and the site's `strings:` overrides (gettext forms, for its
    own language)."""

    template: Source
    sources: tuple[Source, ...]
    language: str = "en"
    overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def english(self) -> dict[str, tuple[str, ...]]:
        """Phrase name -> (msgid,) or (msgid, msgid_plural)."""
        return _english(self.template)

    def catalogue(self, lang: str) -> Catalogue | None:
        """The catalogue for one normalised tag: the site's over the theme's, None when neither has it."""
        return _merged(tuple(s for s in self.sources if s.lang == lang))


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
    from babel import Locale, UnknownLocaleError  # here: a build with nothing to do needs no locale

    parts = lang.replace("_", "-").split("-")
    for n in range(len(parts), 0, -1):
        try:
            return Locale.parse("_".join(parts[:n]))
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def theme_phrases() -> Phrases:
    """The theme's catalogues alone (for callers without settings: tests, dates-only)."""
    template, sources = _theme()
    return Phrases(template, sources)


@lru_cache(maxsize=1)
def _theme() -> tuple[Source, tuple[Source, ...]]:
    """Listed and digested once per process: they are package files, the same for every site."""
    files = [(tag(path.parent.parent.name), path) for path in sorted(LOCALE.glob("*/LC_MESSAGES/broadsheet.po"))]
    sources = tuple(s for s in (_source(path, lang, _short(path))[0] for lang, path in files) if s)
    template = _source(TEMPLATE, "en", _short(TEMPLATE))[0] or Source("en", str(TEMPLATE), _short(TEMPLATE), "")
    return template, sources


def _short(path: Path) -> str:
    """broadsheet/theme/locale/ru/LC_MESSAGES/broadsheet.po: the same on every machine."""
    return path.relative_to(LOCALE.parents[2]).as_posix()


def load(site_dir: Path, language: str, overrides: dict[str, Any]) -> tuple[Phrases, list[Problem]]:
    """The theme's catalogues, the site's `locale/<lang>.po` over them, the overrides on
    top; an error for a catalogue that cannot be read (`file:line: message`), a warning
    for each phrase the site's language lacks (English stands in). Only the catalogues of
    the site's language are parsed here; an article's own language is parsed when a page
    asks for it."""
    template, sources = _theme()
    problems: list[Problem] = []
    folder = site_dir / SITE_FOLDER
    files = sorted(folder.glob("*.po")) if folder.is_dir() else []
    own = []
    for path in files:
        source, unread = _source(path, tag(path.stem), f"{SITE_FOLDER}/{path.name}")
        problems += unread
        if source is not None:
            own.append(source)
            problems += _parsed(source)[1]  # a site's catalogue is checked whatever its language
    wanted = fallbacks(language)
    for source in sources:
        if source.lang in wanted:
            problems += _parsed(source)[1]
    phrases = Phrases(template, sources + tuple(own), language, {})
    if overrides:
        phrases = Phrases(template, phrases.sources, language, _overrides(phrases, overrides))
    return phrases, problems + _missing(phrases)


def _source(path: Path, lang: str, where: str) -> tuple[Source | None, list[Problem]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(where, 0, "", f"cannot read the catalogue ({exc.strerror})")]
    return Source(lang, str(path), where, hashlib.blake2b(data, digest_size=16).hexdigest()), []


@lru_cache(maxsize=64)
def _parsed(source: Source) -> tuple[Catalogue | None, tuple[Problem, ...]]:
    """A catalogue file parsed once per process for each content it has had (the digest
    is part of the key), so the dev server's rebuilds and every page read it for free."""
    catalogue, problems = _catalogue(Path(source.path), source.lang, source.where)
    return catalogue, tuple(problems)


@lru_cache(maxsize=64)
def _merged(sources: tuple[Source, ...]) -> Catalogue | None:
    """The theme's catalogue with a site's of the same language over it (the site's alone
    when the two count plurals differently)."""
    merged: Catalogue | None = None
    for source in sources:
        catalogue = _parsed(source)[0]
        if catalogue is None:
            continue
        if merged is not None and merged.plural == catalogue.plural:
            catalogue = Catalogue(catalogue.plural, {**merged.messages, **catalogue.messages}, catalogue.origin)
        merged = catalogue
    return merged


@lru_cache(maxsize=4)
def _english(template: Source) -> dict[str, tuple[str, ...]]:
    catalog, _ = _read(Path(template.path), None, template.where)
    return {m.context: _forms(m.id) for m in catalog if m.id and m.context} if catalog else {}


def plural_of(phrases: Phrases, lang: str) -> str:
    """The plural expression of the most specific catalogue for `lang` (English's when none)."""
    for name in fallbacks(lang):
        found = phrases.catalogue(name)
        if found is not None:
            return found.plural
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


def _read(path: Path, lang: str | None, where: str) -> tuple[Catalog | None, list[Problem]]:
    # Imported here: an English site without `strings:` never parses a catalogue, and
    # should not pay for Babel's reader (~8 ms) on every build.
    from babel.messages.pofile import PoFileError, read_po

    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        return None, [Problem(where, 0, "", f"cannot read the catalogue ({exc.strerror})")]
    except UnicodeDecodeError as exc:
        return None, [not_utf8(where, raw, exc)]
    damage = syntax_error(text)
    if damage is not None:
        return None, [Problem(where, damage[0], "", f"not a readable .po file: {damage[1]}")]
    try:
        return read_po(io.StringIO(text), locale=_locale_name(lang), abort_invalid=True), []
    except PoFileError as exc:
        message = str(exc).split(" on ", 1)[0].split(" at line ", 1)[0]
        return None, [Problem(where, getattr(exc, "lineno", 0) or 0, "", f"not a readable .po file: {message}")]
    except Exception as exc:  # Babel raises plain errors for some damage (a bad header): one line, never a traceback
        return None, [Problem(where, 0, "", f"not a readable .po file: {exc}")]


KEYWORD_LINE = re.compile(r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*?)\s*$')
STRING_LINE = re.compile(r'"(?:[^"\\]|\\.)*"\s*$')


def syntax_error(text: str) -> tuple[int, str] | None:
    """The first line that breaks the .po grammar, and why. Babel's reader, even with
    abort_invalid, skips or guesses at some damage (a msgstr[7] after a msgstr, a line
    that is no keyword); a translator deserves the line instead of a silently lost message.
    Obsolete entries (#~) are comments here."""
    seen: list[str] = []  # the keywords of the entry being read, in order
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword = KEYWORD_LINE.match(line)
        if keyword is None:
            if line.startswith('"'):
                if not STRING_LINE.match(line):
                    return number, "a string without its closing quote"
                if not seen:
                    return number, "a string outside any msgid or msgstr"
                continue
            return number, "expected a comment, msgctxt, msgid, msgid_plural, msgstr or a quoted string"
        if not STRING_LINE.match(keyword.group(3)):
            return number, "a string without its closing quote"
        name, index = keyword.group(1), keyword.group(2)
        if name in ("msgctxt", "msgid") and (not seen or seen[-1].startswith("msgstr")):
            seen = []  # a new entry
        wrong = _out_of_order(seen, name, index)
        if wrong:
            return number, wrong
        seen.append(name if index is None else f"msgstr[{index}]")
    if seen and not seen[-1].startswith("msgstr"):
        return len(text.splitlines()), f"{seen[-1]} without a msgstr"
    return None


def _out_of_order(seen: list[str], name: str, index: str | None) -> str | None:
    """Why `name` (msgstr[index]) cannot follow the keywords `seen` in one entry, or None."""
    written = name if index is None else f"{name}[{index}]"
    if name == "msgctxt":
        return "msgctxt must come first in an entry" if seen else None
    if name == "msgid":
        return "two msgid in one entry" if "msgid" in seen else None
    if "msgid" not in seen:
        return f"{written} without a msgid before it"
    if name == "msgid_plural":
        return "msgid_plural must follow its msgid" if seen[-1] != "msgid" else None
    if index is not None and name != "msgstr":
        return f"{written}: only msgstr takes a plural index"
    plural = "msgid_plural" in seen
    if index is None:
        if plural:
            return "msgstr without [n] in an entry with msgid_plural (write msgstr[0], msgstr[1], ...)"
        return "two msgstr in one entry" if "msgstr" in seen else None
    if not plural:
        return f"{written} in an entry without msgid_plural (write msgstr)"
    expected = sum(1 for k in seen if k.startswith("msgstr["))
    if int(index) != expected:
        return f"{written} where msgstr[{expected}] was expected"
    return None


def _locale_name(lang: str | None) -> str | None:
    if lang is None:
        return None
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(lang.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return None


def _catalogue(path: Path, lang: str, where: str) -> tuple[Catalogue | None, list[Problem]]:
    """A .po file -> its translated messages; each translation checked against its msgid's
    placeholders, so that no page can fail to render for a translator's typo."""
    catalog, problems = _read(path, lang, where)
    if catalog is None:
        return None, problems
    plural = catalog.plural_expr
    try:
        gettext.c2py(plural)
    except ValueError:
        return None, [Problem(where, 0, "Plural-Forms", f"cannot read the plural expression {plural!r}")]
    messages: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy or message.string is None:
            continue
        forms = _forms(message.string)
        if not all(forms):
            continue  # untranslated: English stands in
        ids = _forms(message.id)
        wrong = _check(ids, forms, catalog.num_plurals)
        if wrong:
            problems.append(Problem(where, message.lineno or 0, message.context or ids[0][:40], wrong))
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
    converted: dict[str, tuple[str, ...]] = {}
    for name, text in overrides.items():
        if name not in phrases.english:
            continue
        if len(phrases.english[name]) == 1 and isinstance(text, str):
            converted[name] = (from_format(text),)
            continue
        table = text if isinstance(text, dict) else {"other": text}
        forms: list[str] = []
        for index in range(count or _plural_count(choose)):
            n = next((n for n in SAMPLES if choose(n) == index), 0)
            category = locale.plural_form(n)
            forms.append(from_format(str(table.get(category or "other", table["other"]))))
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
    found = [c for c in map(phrases.catalogue, fallbacks(lang)) if c is not None]
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
