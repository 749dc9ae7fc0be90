"""Photo lines -> caption and credit, in the forms news pages print them.

Caption. Name / Agency                    Caption. © Agency | Name
Caption. Photograph: Name/Agency          Caption. NAME/AGENCY/File Photo
Caption (Agency Photo/Name)               Caption [Name/Agency]
Image: Name/agency                        Фото: Имя / Агентство
Getty Images          (a credit alone; its caption is the line above or below)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LABEL = r"(?:(?:photo|image|picture|bild|фото)\s+)?(?:photograph|photo|image|picture|illustration|credit|foto|fotografía|fotografia|bild|bildrechte|bildquelle|фото|фотография|ілюстрація|иллюстрация|crédit|crédito)s?"
# "Photograph: Jorge Salas/AFP", "Photo by ...", "Фото: ..."; the label opens the credit.
LABELLED = re.compile(
    r"(?:^|(?<=[\s(\[.|]))" + LABEL + r"(?:\s*:|\s*(?:\.{2,}|…)|\s+/\s+|\s+by\b|\s+source,)\s*(?=\S)", re.I
)  # "Credit...Name"
CAPTION_LABEL = re.compile(r"(?:image|photo|picture) caption,?\s+(?P<caption>\S.*)", re.I)
UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ"
NAME = rf"[{UPPER}][\w.'’-]+"
# a person ("Ana Ruiz"), an agency, or a name in capitals ("NORTHWIRE"): not a breadcrumb ("Business / Metals")
CREDITED = re.compile(rf"[{UPPER}][\w'’-]+ [{UPPER}][\w'’-]+|\b[{UPPER}]{{3,}}\b")
AGENCY_WORDS = r"(?i:\b(?:getty images|afp|ap|reuters|epa|dpa|tass|ria novosti|anadolu|xinhua|shutterstock|alamy|pa( images| media)?|picture alliance|imago|ullstein|laif|keystone|ansa|efe|kyodo news|bloomberg|unsplash|wikimedia commons|тасс|риа новости|укрінформ|укринформ)\b)"
# "Name Surname / Agency", "NAME/AGENCY/File Photo", "picture alliance/dpa | Name", "Kyodo News via AP": a slash
# or an agency's name, so that "News|Economy" is no credit
CREDIT = re.compile(
    r"(?:©\s*)?(?:"
    + NAME
    + r"(?: "
    + NAME
    + r"){0,3}|"
    + AGENCY_WORDS
    + r")\s*/\s*[\w&.'’ -]{1,40}(?:\s*[/|]\s*[\w&.'’ -]{1,40}){0,2}"
    r"|©\s*[\w&.'’-]+(?: [\w&.'’-]+){0,3}(?:\s*[/|]\s*[\w&.'’ -]{1,40}){0,2}"  # "© Rundfunk Nord | Name": © says credit
    r"|(?:©\s*)?" + AGENCY_WORDS + r"(?:\s+via\s+[\w.'’ -]{1,30})?"
    r"|(?:©\s*)?[\w.'’ -]{2,30}\s+via\s+[\w.'’-]{1,20}(?: [\w.'’-]{1,20})?"
)
TRAILING_CREDIT = re.compile(r"(?P<caption>.*?[.!?…])\s+(?P<credit>(?:©\s*)?\S.{0,80})")
BRACKETED = re.compile(r"(?P<caption>.*?)\s*(?:\((?P<paren>[^()]{2,80})\)|\[(?P<square>[^\[\]]{2,80})\])")
MAX_PHOTO_LINE = 300
CAPITAL_LABEL = re.compile(
    r"(?:PHOTO|FOTO|ФОТО|IMAGE|BILD)S?\s+(?P<credit>[A-ZÀ-ÞА-ЯЁІЇЄҐ][A-ZÀ-ÞА-ЯЁІЇЄҐ ,.'’/-]{3,80})"
)
SOURCED = re.compile(r"(?:source|quelle|источник|джерело|fuente)\s*:\s*(?P<credit>[^/]{2,40}\s*/\s*[^/]{2,40})", re.I)
CAPTION_ALONE = re.compile(r"\W*(?:image|photo|picture|media|video) caption,?\W*", re.I)  # its caption is the next line


@dataclass(frozen=True)
class PhotoLine:
    caption: str  # "" for a credit alone on its line
    credit: str  # "" for "Image caption, ..." lines


def photo_line(line: str) -> PhotoLine | None:
    """The caption and credit a line holds, or None when it is not a photo line."""
    line = line.strip()
    if len(line) > MAX_PHOTO_LINE:
        return None
    labelled = CAPTION_LABEL.fullmatch(line)
    if labelled:
        return PhotoLine(labelled.group("caption"), "")
    return _labelled(line) or _bracketed(line) or _trailing(line) or _bare(line)


def credited(line: str) -> bool:
    """Whether a line says it credits a photo by more than a slash: a label, ©, an agency."""
    return bool(LABELLED.search(line) or CAPITAL_LABEL.fullmatch(line) or "©" in line or re.search(AGENCY_WORDS, line))


def _labelled(line: str) -> PhotoLine | None:
    capitals = CAPITAL_LABEL.fullmatch(line)  # "PHOTO JEAN TREMBLAY, ARCHIVES LA VIGIE"
    if capitals:
        return PhotoLine("", capitals.group("credit"))
    marker = LABELLED.search(line)
    if not marker:
        sourced = SOURCED.fullmatch(line)  # "Источник: Имя / Агентство" under a caption
        return PhotoLine("", sourced.group("credit")) if sourced else None
    caption = line[: marker.start()].strip().rstrip("([|").strip()
    credit = line[marker.end() :].strip().rstrip(".")
    if credit.count("(") < credit.count(")") or credit.count("[") < credit.count("]"):  # "Caption (Photo: Name)"
        credit = credit[:-1].strip()
    return PhotoLine(caption, _plain(credit)) if credit and len(credit.split()) <= 12 else None


def _bracketed(line: str) -> PhotoLine | None:
    """ "Caption (Agency Photo/Name)", "[Name/Agency]": a credit names an agency, a photo or a slash."""
    found = BRACKETED.fullmatch(line)
    if not found:
        return None
    credit = (found.group("paren") or found.group("square")).strip()
    if not (
        "/" in credit
        or re.search(r"\b(via|photo|images?|pictures?|фото)\b", credit, re.I)
        or re.fullmatch(AGENCY_WORDS, credit, re.I)
        or (re.search(AGENCY_WORDS, credit) and len(credit.split()) <= 6)  # "[Keystone - Name]"
        or re.fullmatch(rf"[\w ]{{2,30}}:\s*{NAME}(?: {NAME}){{1,3}}", credit)  # "(APB Rural: Tom Nguyen)"
    ):
        return None
    return PhotoLine(found.group("caption").strip(), credit)


def _bare(line: str) -> PhotoLine | None:
    if not (CREDIT.fullmatch(line) and len(line.split()) <= 8):
        return None
    return PhotoLine("", _plain(line)) if CREDITED.search(line) or re.search(AGENCY_WORDS, line) else None


def _trailing(line: str) -> PhotoLine | None:
    """ "Caption. Name / Agency": a sentence, then a credit that could stand alone."""
    found = TRAILING_CREDIT.fullmatch(line)
    if not found or len(found.group("caption").split()) < 2:  # "A. Smith / AP" is a credit alone
        return None
    credit = found.group("credit").strip()
    bare = _bare(credit)
    return PhotoLine(found.group("caption").strip(), bare.credit) if bare else None


def _plain(credit: str) -> str:
    return credit.removeprefix("©").strip().rstrip(".")
