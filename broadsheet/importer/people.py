"""Bylines -> authors: "By A and B", "BY A", "Von A und B", "Автор: А", or a name line alone
("Lucia Ferrante in Rome and Owen Marsh", "Анна Воронцова") followed by a role or a date."""

from __future__ import annotations

import re

BY = re.compile(
    r"(?:by|words by|written by|text by|story by|reported by|von|text|автор(?:ы)?:?|авторка:?|текст:?|par|por"
    # credits for the words on broadcasters' pages: "Sujet radio: A", "Adaptation web: B", "Texto: C"
    r"|(?:sujet|reportage) (?:radio|tv|télé)\s*:|adaptation web\s*:|texte\s*:|propos recueillis par|texto\s*:|redacción\s*:|mitarbeit\s*:)"
    r"\s+(?P<names>\S.{1,150})",
    re.I,
)
JOIN = re.compile(r"\s*(?:,|;|\band\b|\bund\b|\bи\b|\bі\b|\bта\b|\bet\b|\by\b|&)\s*", re.I)
PLACE = re.compile(r"\s+(?:in|aus|в|во|у|à|en)\s+\S.*$")  # "Lucia Ferrante in Rome"
NAME_WORD = re.compile(r"(?:[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’-]*\.?|(?:de|van|von|der|da|di|le|la|al|bin|ibn)\b)")
ROLE = re.compile(
    r"\b(correspondent|editor|reporter|writer|staff|columnist|contributor|analyst|agencies|journalist|producer|"
    r"korrespondent\w*|redakteur\w*|reporter\w*|autor\w*|корреспондент\w*|редактор\w*|журналист\w*|кореспондент\w*|журналіст\w*|"
    r"correspondant\w*|rédact\w*|redacción|redaktion|rédaction|редакция|редакція|journaliste|periodista|corresponsal|redactor\w*|democracy reporter|reporting service|news (desk|service)|newsroom|team)\b",
    re.I,
)
MAX_NAME_WORDS = 4
BY_ALONE = re.compile(
    r"\W*(?:by|von|par|por|автор(?:ы)?:?|текст:?|author(?: of the (?:article|story))?:|autor(?:in)?:|auteur:|autore:)\W*",
    re.I,
)
OUR_ROLE = re.compile(
    r"^(?:(?:unsere[mnrs]?|our|notre|nos|nuestr[oa]s?|наш\w*)\s+)?(?:" + ROLE.pattern + r")\s+(?=\S)", re.I
)


def byline(line: str) -> tuple[str, ...] | None:
    """The names after "By" (or its equivalents), each in its own case: "BY JO HART" -> Jo Hart;
    "NBPR | By Jo Hart": the part that is a byline."""
    parts = re.split(r"\s+[|•·]\s+", line.strip())
    return next(filter(None, map(_byline, parts)), None) if len(parts) > 1 else _byline(line)


def _byline(line: str) -> tuple[str, ...] | None:
    found = BY.fullmatch(line.strip())
    if not found or len(line) > 160:
        return None
    names = _without_place(_names(found.group("names"), in_byline=True))
    return names if names and all(_is_name(n, least=1) for n in names) else None


def name_line(line: str, stopwords: frozenset[str] = frozenset()) -> tuple[str, ...] | None:
    """A line that is nothing but people's names (and where they were): "In English" and
    "Follow Us" are not."""
    line = re.split(r"\s+[–—|·•]\s+(?=.*\d)", line)[0]  # "A and B – Oct 3, 2024 3:15 pm UTC": the date goes
    if len(line) > 100 or re.search(r"[.!?:;]$|\d", line):
        return None
    names = _without_place(_names(line))
    # a short stop word ("In English", "Follow Us"); the lists also hold common first names ("Анна"), so only short ones count
    if not names or any(len(w) <= 2 and w.lower() in stopwords for n in names for w in n.split()):
        return None
    return names if all(_is_name(n) for n in names) else None


def is_role(line: str) -> bool:
    """ "Transport correspondent", "Local Democracy Reporter": a short line naming a job."""
    return len(line.split()) <= 6 and bool(ROLE.search(line)) and not re.search(r"[.!?]$", line)


def _names(text: str, in_byline: bool = False) -> tuple[str, ...]:
    text = re.sub(r"\s*\([^)]*\)", "", text)  # "A et B (Lyon, envoyés spéciaux)"
    text = re.split(r"\s*[;,]\s*(?:фото|photos?|fotos?|bilder?|images?)\b", text, flags=re.I)[
        0
    ]  # "Текст: А; фото: Б", "Text: A, Fotos: B"
    text = OUR_ROLE.sub("", text)  # "unserem Redakteur A"
    text = re.split(r"\s+(?:edited|reviewed|fact-checked|illustrated|photographed|produced) by\b", text, flags=re.I)[0]
    text = re.split(r"\s*[|,]\s*(?=\d)|\s+(?:[-–—|·•])\s+", text)[0]  # "By Jo Hart | 3 April 2025": the date goes
    found = []
    for part in JOIN.split(text):
        name = PLACE.sub("", part.strip()).strip(" .")
        name = _capitals_only(name) if in_byline else name
        if not name or ROLE.search(name) or re.search(r"\d", name):
            continue
        found.append(_cased(name))
    return tuple(found)


def _without_place(names: tuple[str, ...]) -> tuple[str, ...]:
    """ "Von A und B, Hamburg", "Reto Brunner, Engelberg": a last single word is where, not who."""
    return names[:-1] if len(names) >= 2 and len(names[-1].split()) == 1 else names


def _capitals_only(name: str) -> str:
    """ "DEV PATEL Continental Press" -> "DEV PATEL": in a byline in capitals, the agency is not."""
    words = name.split()
    caps = 0
    while caps < len(words) and words[caps].isupper() and len(words[caps]) > 1:
        caps += 1
    return " ".join(words[:caps]) if 2 <= caps < len(words) else name


def _is_name(name: str, least: int = 2) -> bool:
    words = name.split()
    return least <= len(words) <= MAX_NAME_WORDS and all(NAME_WORD.fullmatch(w) for w in words)


def _cased(name: str) -> str:
    """Names printed in capitals are stored as names are written: "CIARAN McGETTIGAN" -> Ciaran McGettigan."""
    words = [_shouted(word) for word in name.split()]
    if any(word is None for word in words):
        return name
    return " ".join(prefix + rest.title() for prefix, rest in words)  # type: ignore[misc]


def _shouted(word: str) -> tuple[str, str] | None:
    """A word in capitals as (prefix, rest): "McGETTIGAN" -> ("Mc", "GETTIGAN"); None if in normal case."""
    prefix = re.match(r"(?:Mc|Mac)(?=[A-Z]{2})", word)
    head = prefix.group() if prefix else ""
    letters = [c for c in word[len(head) :] if c.isalpha()]
    return (head, word[len(head) :]) if letters and all(c.isupper() for c in letters) else None
