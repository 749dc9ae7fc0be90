"""The outlet's name, found in the page itself: a banner above the headline, a copyright or
`Source:` line, a "(Outlet) -" dateline, an appeal ("Support The Ledger!"), and above all
by repetition: an outlet names itself again and again around its story."""

from __future__ import annotations

import re

from broadsheet.importer import lexicon
from broadsheet.importer.photo import photo_line

COPYRIGHT = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:\d{4},?\s*)?(?P<name>[^.,©|]{2,60}?)\s*(?:\d{4})?\s*(?:[.,|]|$|all rights|alle rechte|все права|усі права)",
    re.I,
)
SOURCE = re.compile(r"(?:source|quelle|источник|джерело|fuente)\s*:\s*(?P<name>[^.|]{2,50})", re.I)
DATELINE = re.compile(
    r"^[A-ZА-ЯЁІЇЄҐ][\w .'’-]{1,40},?[^()/]{0,30}\s*[(/](?P<name>[^()/]{2,40})[)/]\.?\s*[-–—.]"
)  # "VIENNA, June 18 (Northwire) -", "БАРНАУЛ, 14 октября. /Восток-Пресс/."
APPEALING = re.compile(
    r"(?:support|follow|subscribe to|get|message from|note from|journalists of|unterstützen sie|поддержите|підтримайте|подпишитесь на)\s+"
    r"(?P<name>(?:the |die |der |das )?[«\"“]?[A-ZА-ЯЁІЇЄҐ][\w'’-]*(?:[ -][A-ZА-ЯЁІЇЄҐ][\w'’-]*){0,3}[»\"”]?)",
)
SUFFIX = re.compile(
    r"\s+(?:ltd|limited|inc|gmbh|llc|plc|s\.?a\.?|s\.?l\.?|ag|media( group| network| ltd| limited)?|news & media.*|or its affiliated.*|network)\.?$",
    re.I,
)
GENERIC = re.compile(
    r"\s*\b(информагентство|інформагентство|информационное агентство|інформаційне агентство|news agency|nachrichtenagentur|agencia de noticias"
    r"|agence de presse|agenzia di stampa|агентство|ао|ооо|пао|тов|ltd)\b\s*",
    re.I,
)
ARTICLES = ("the", "die", "der", "das", "le", "la", "les", "el", "los", "las")
WEIGHTS = {
    "masthead": 2.0,
    "top": 0.5,
    "source": 2.0,
    "dateline": 2.0,
    "copyright": 1.5,
    "appeal": 1.5,
    "banner": 0.5,
}  # a copyright line often names the parent company
MENTION = 0.5  # each mention around the story
MASTHEAD_LINES = 6  # the masthead: the first of the top short lines (not "Skip to content") that the page names again


def find_outlet(lines: list[str], story: int, around_story: list[bool]) -> str:
    """The best-supported name, or "" when nothing names the outlet with some weight.

    Explicit evidence counts most: a copyright or `Source:` line, a "(Outlet) -" dateline,
    an appeal, and the masthead (a short line at the very top of the page). Menu items and
    section names above the story are weak evidence, and repetition in the lines around the
    story (`around_story`: not its prose, in which a town is named as often) breaks ties."""
    around = " ".join(_plain(line) for line, counts in zip(lines, around_story) if counts)
    kinds: dict[str, set[str]] = {}
    spelled: dict[str, str] = {}
    for name, kind in _candidates(lines, story):
        key = _plain(name)
        if len(key) < 2 or lexicon.kind_of(name) or key.isdigit():
            continue
        spelled.setdefault(key, name)
        kinds.setdefault(key, set()).add(kind)
    scores = {key: _score(found) + MENTION * _mentions(key, around) for key, found in kinds.items()}
    best = max(scores, key=lambda k: (scores[k], len(k.split())), default="")
    if not best or scores[best] < 2:
        return ""
    # "Fenland" from "© Fenland Media Ltd" is the start of the masthead "Fenland Courier", "Blaze"
    # of "© Blaze Media Group" part of "DAILY BLAZE" at the top, and "NBS" of the copyright line
    # the initials of the masthead "National Broadcasting Service"
    fuller = [
        k
        for k in scores
        if k != best and kinds[k] & {"masthead", "top"} and (_contains(k, best) or _initials(k) == best)
    ]
    return _display(spelled[fuller[0] if fuller else best], lines)


def _score(kinds: set[str]) -> float:
    return sum(WEIGHTS[kind] for kind in kinds)


def _contains(name: str, part: str) -> bool:
    return bool(re.search(r"(?<!\w)" + re.escape(part) + r"(?!\w)", name))


def _initials(key: str) -> str:
    words = [w for w in key.split() if w not in ARTICLES]
    return "".join(w[0] for w in words) if len(words) >= 2 else ""


def _candidates(lines: list[str], story: int) -> list[tuple[str, str]]:
    """(name, the kind of evidence for it)."""
    top = _banner_lines(lines, story)
    page = " ".join(_plain(line) for line in lines)
    masthead = next((line for line in top[:MASTHEAD_LINES] if _mentions(_plain(line), page) >= 2), None)
    found = [
        (line, "masthead" if line == masthead else "top" if line in top[:MASTHEAD_LINES] else "banner") for line in top
    ]
    for line in lines:
        for kind, pattern in (
            ("copyright", COPYRIGHT),
            ("source", SOURCE),
            ("dateline", DATELINE),
            ("appeal", APPEALING),
        ):
            for match in pattern.finditer(line):
                name = GENERIC.sub("", re.sub(r"\s*\([^)]*\)", "", match.group("name"))).strip(' «»"“”,')  # "(P) Ltd"
                found.append((_without_suffix(name), kind))
    return found


def _banner_lines(lines: list[str], story: int) -> list[str]:
    """Short lines above the story, in order: the masthead is one of the first (menus are the others)."""
    short = [
        line for line in lines[:story]
        if len(line.split()) <= 5 and not re.search(r"[.!?:]$", line) and not photo_line(line) and lexicon.kind_of(line) != "navigation"
        and not lexicon.opens_box(line)  # "Support the Meridian" is an appeal (counted as such), not the masthead
    ]  # fmt: skip
    return [GENERIC.sub(" ", line).strip(' «»"“”') for line in short]


def _without_suffix(name: str) -> str:
    """ "Blaze Media Group Ltd" -> "Blaze": the company's forms are not the outlet's name."""
    while (shorter := SUFFIX.sub("", name).strip()) != name:
        name = shorter
    return name


def _mentions(key: str, text: str) -> float:
    """How often the name is on the page, in any case ending ("Волинську хвилю" names
    "Волинська хвиля"), its initials ("NBS") counting too."""
    words = key.split()
    words = (
        words[1:] if len(words) > 1 and words[0] in ARTICLES else words
    )  # "The Riverton Post" is named as "Riverton Post" too
    stems = [re.escape(w[: max(4, len(w) - 2)]) + r"\w*" if len(w) > 5 else re.escape(w) for w in words]
    count = len(re.findall(r"(?<!\w)" + r"\s+".join(stems) + r"(?!\w)", text))
    initials = _initials(key)
    return count + (len(re.findall(r"(?<!\w)" + re.escape(initials) + r"(?!\w)", text)) if initials else 0)


def _display(name: str, lines: list[str]) -> str:
    """As the page spells it in running text: a banner in capitals is not the name's case."""
    if not name.isupper():
        return name
    key = _plain(name)
    for line in lines:
        for match in re.finditer(re.escape(key), _plain(line, lower=False).lower()):
            written = _plain(line, lower=False)[match.start() : match.end()]
            if not written.isupper():
                return written
    return (
        name.title() if len(name.split()) > 1 else name
    )  # "DIE WOCHENPOST" is a masthead's type; "IBERPRESS" may be the name


def _plain(text: str, lower: bool = True) -> str:
    plain = " ".join(re.sub(r"[«»\"“”„!?:;,]", " ", text).split())
    return plain.lower() if lower else plain
