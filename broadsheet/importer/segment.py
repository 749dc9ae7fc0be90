"""Pasted page text -> its parts: headline, standfirst, byline, dateline, photo, story.

Text copied from a browser has one line per block. Each line is scored by what it is, from
features that hold for any outlet: whether it reads as a sentence (its end, its length, its
share of the language's stop words), what the multilingual lexicon (lexicon.py) calls it,
whether it is a dateline, a byline or a photo line, and whether it names the outlet.

The story is found first, as the first two story paragraphs in a row; it then runs to the
page's footer, past adverts, boxes and related links. Walking up from the story's start over
the header (bylines, datelines, photo lines, share rows) gives the headline, and a line of
prose between the headline and the header is the standfirst.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import justext

from broadsheet.importer import lexicon, people
from broadsheet.importer.dates import MAX_DATE_PART, MAX_DATELINE, YEAR, is_published, is_update, parse_dateline
from broadsheet.importer.draft import Picture
from broadsheet.importer.outlet import find_outlet
from broadsheet.importer.photo import CAPTION_ALONE, credited, photo_line
from broadsheet.importer.rules import NAV_LINE, LineRules, is_masthead

MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.I | re.S)  # pasted HTML: judge the words, not the tags
SENTENCE_END = re.compile(r"[.!?…][\"'”’»“‘›)]*$|[\"”»“]$")  # German quotes close with “
MIN_STORY_WORDS = 4
MIN_STOPWORD_SHARE = 0.08  # prose has many "the", "und", "и"; lists of names or keywords have few
MIN_HEADLINE_WORDS, MAX_HEADLINE_WORDS = 3, 30
MIN_STANDFIRST_WORDS = 6
MIN_CAPTION_WORDS = 2  # "Vladimir Putin." is a caption; "Vermischtes" is a section
MAX_CAPTION_WORDS = 40
MAX_CROSSHEAD_WORDS = 10
MAX_LINK_WORDS = 12
QUOTE_MARK = re.compile(r"[«»\"“”„]")
MAX_PULL_QUOTE_WORDS, MAX_PULL_QUOTES = 25, 50
TITLE_CASE_SHARE = 0.6
MAX_POINT_WORDS = 25  # a "Key points" item; a longer line is the story again
MIN_LATE_PARAGRAPH_WORDS = 10  # a lone short sentence after the story, past a line that is not boilerplate, is no story
NUMBERED_HEADING = re.compile(
    r"(?:[IVX]{1,4}|\d{1,2})[.)]\s+\S.{0,80}"
)  # "I. Der stille Februar": a chapter, not the headline
MIN_REPEATS = 3  # a line this many times on a page is furniture when short
MAX_REPEATED_WORDS = 5
MAX_BOX_LINES = 15  # a box longer than this is not a box: keep the story safe
MAX_PITCH_WORDS = 25
SIGN_UP = re.compile(
    r"\b(anmelden|abonnieren|registrieren|sign up|subscribe|s'inscrire|s'abonner|подписаться|підписатися|suscr\w+)\b",
    re.I,
)  # the button under a newsletter box's pitch
# Reading a date costs a millisecond or more (dateparser), so a page of 200,000 short dated lines
# would take minutes: only this many lines are read as dates, from the top, where datelines are.
MAX_DATELINES_READ = 200
LANGUAGES = (
    "English",
    "German",
    "Russian",
    "Ukrainian",
    "French",
    "Spanish",
    "Italian",
    "Portuguese",
    "Polish",
    "Dutch",
)


@dataclass
class Parts:
    """What the segmenter made of a page; `story` is its lines, boilerplate gone."""

    title: str = ""
    standfirst: str = ""
    authors: tuple[str, ...] = ()
    date: datetime | None = None
    picture: Picture | None = None
    story: list[str] = field(default_factory=list)
    outlet: str = ""


@dataclass
class _Page:
    lines: list[str]
    rules: LineRules
    stopwords: frozenset[str]
    outlet: str = ""
    gone: dict[int, str] = field(default_factory=dict)  # line -> why it is not story: a lexicon kind, "box", "photo"
    photos: dict[int, tuple[str, str]] = field(default_factory=dict)  # line -> (caption, credit) it holds
    dates: list[datetime | None] = field(default_factory=list)  # the date each line states, read once
    prose: list[bool] = field(default_factory=list)  # whether each line reads as a sentence of prose
    bylines: list[tuple[str, ...] | None] = field(default_factory=list)  # each line's byline names, read once
    names: list[tuple[str, ...] | None] = field(default_factory=list)  # each line read as a line of names
    roles: list[bool] = field(default_factory=list)  # each line read as a job title

    def kind(self, i: int) -> str:
        return self.gone.get(i, "")

    def names_outlet(self, line: str) -> bool:
        """Whether the line names the outlet, with or without its article ("Millbrook Ledger")."""
        name = re.sub(r"^(the|der|die|das|le|la|les|el|los)\s+(?=\S)", "", self.outlet, flags=re.I)
        return bool(name) and name.lower() in line.lower()


def segment(lines: list[str], rules: LineRules, tz: ZoneInfo) -> Parts:
    """ValueError when no headline or no story is found."""
    page = _page(lines, rules, tz)
    _mark_lexicon(page)
    _mark_photos(page)
    start = _story_start(page)
    page.outlet = (
        rules.outlet_names[0]
        if rules.outlet_names
        else find_outlet(lines, start if start is not None else len(lines), _around_story(page))
    )
    _mark_boxes(page)
    start = _story_start(page)
    if start is None:
        raise ValueError("no story found (only navigation and boilerplate: no line reads as a paragraph of prose)")
    parts = _header(page, start)
    parts.story = _story(page, start, parts.authors)
    if not parts.story:
        raise ValueError("no story text found after the headline")
    parts.authors = parts.authors or _byline_below(page, start)
    parts.outlet = page.outlet
    return parts


def _page(lines: list[str], rules: LineRules, tz: ZoneInfo, outlet: str = "") -> _Page:
    page = _Page(lines, rules, _stopwords(" ".join(lines[:500])), outlet)
    page.prose = [_reads_as_prose(line, page.stopwords) for line in lines]
    page.bylines = [people.byline(line) for line in lines]  # the header is asked about again and again
    page.names = [people.name_line(line, page.stopwords) for line in lines]
    page.roles = [people.is_role(line) for line in lines]
    page.dates, budget = [], MAX_DATELINES_READ
    for line, prose in zip(lines, page.prose):
        # a dateline is short, or a row of stamps ("PUBLISHED: ... | UPDATED: ..."), never a sentence of the story
        dated = budget > 0 and len(line) <= (MAX_DATE_PART if prose else MAX_DATELINE) and bool(YEAR.search(line))
        budget -= dated
        page.dates.append(parse_dateline(line, tz) if dated else None)
    return page


@lru_cache(maxsize=16)
def _stoplist(language: str) -> frozenset[str]:
    return frozenset(justext.get_stoplist(language))


def _stopwords(text: str) -> frozenset[str]:
    """The stop words of the language the page is in: the list that finds the most."""
    words = re.findall(r"\w+", text.lower())[:2000]
    return max((_stoplist(lang) for lang in LANGUAGES), key=lambda stop: sum(w in stop for w in words))


def _mark_lexicon(page: _Page) -> None:
    for i, line in enumerate(page.lines):
        kind = (
            lexicon.kind_of(line)
            or ("site rule" if page.rules.drops(line) else "")
            or ("box" if lexicon.closes_box(line) else "")
        )
        kind = kind or ("navigation" if NAV_LINE.fullmatch(line) else "")
        if kind == "footer" and len(line.split()) <= 6 and not YEAR.search(line) and photo_line(line):
            kind = ""  # "© Олег Руденко" under a caption is a credit, not the page's copyright
        if kind:
            page.gone[i] = kind
    _mark_repeated(page)
    _mark_related(page)


def _mark_repeated(page: _Page) -> None:
    """A short line printed again and again ("Article content" between every paragraph) is the
    page's furniture, whatever its words."""
    counts = Counter(line.strip() for line in page.lines if line.strip())
    for i, line in enumerate(page.lines):
        if counts[line.strip()] >= MIN_REPEATS and len(line.split()) <= MAX_REPEATED_WORDS and not page.prose[i]:
            page.gone.setdefault(i, "widget")


def _mark_related(page: _Page) -> None:
    """The headlines under a "Related stories" heading are links, not story; the short points
    under "Key points" sum the story up and are not part of it."""
    for i in range(len(page.lines)):
        if page.kind(i) == "summary":
            j = i + 1
            while (
                j < len(page.lines)
                and not page.kind(j)
                and len(page.lines[j].split()) <= MAX_POINT_WORDS
                and not _header_item(page, j)
            ):
                page.gone[j] = "summary"
                j += 1
            continue
        if page.kind(i) != "related":
            continue
        j = i + 1
        while (
            j < len(page.lines)
            and _link_like(page, j)
            and page.kind(j) in ("", "widget", "related")
            and not lexicon.opens_box(page.lines[j])
        ):
            page.gone.setdefault(j, "related")
            j += 1


def _link_like(page: _Page, i: int) -> bool:
    """A headline under "Related": not prose, or short and in title case ("Bills Have Tripled. Here's Why.")."""
    words = page.lines[i].split()
    capitals = sum(w[0].isupper() for w in words)
    headline = capitals >= TITLE_CASE_SHARE * len(words) or page.lines[i].endswith("?")  # "Wie sicher sind die Deiche?"
    return not page.prose[i] or (len(words) <= MAX_LINK_WORDS and headline)


def _mark_photos(page: _Page) -> None:
    """Photo lines, and the caption a credit alone on its line belongs to: the line below for a
    bare credit ("Getty Images" then the caption), the line above for a labelled one
    ("Фото: ..." under its caption), the other one when that is taken."""
    for i, line in enumerate(page.lines):
        if page.kind(i) or page.bylines[i] or page.dates[i]:
            continue
        if CAPTION_ALONE.fullmatch(line) and _caption_like(page, i + 1):  # "Image caption," then the caption
            page.gone[i] = page.gone[i + 1] = "photo"
            page.photos[i] = (page.lines[i + 1], "")
            continue
        found = photo_line(line)
        if not found:
            continue
        if not found.caption and _breadcrumb(line):
            page.gone[i] = "navigation"
            continue
        page.gone[i] = "photo"
        caption = found.caption
        if not caption and found.credit:
            for j in (i - 1, i + 1) if _caption_above(page, i) else (i + 1, i - 1):
                if _caption_like(page, j):
                    labelled_caption = photo_line(page.lines[j])  # "Image caption, ..." under "Image source, ..."
                    caption = (
                        labelled_caption.caption if labelled_caption and not labelled_caption.credit else page.lines[j]
                    )
                    page.gone[j] = "photo"
                    break
            if not caption and not credited(line):  # "Regionaldienst Niedersachsen/Bremen": a slash and no photo near
                del page.gone[i]
                continue
        page.photos[i] = (caption, found.credit)


def _breadcrumb(line: str) -> bool:
    """ "Hong Kong/Transport" is shaped like "Name/Agency" but ends in a section of the site."""
    return lexicon.kind_of(re.split(r"[/>»|]", line)[-1]) == "navigation"


def _caption_above(page: _Page, i: int) -> bool:
    """Whether a credit alone on its line credits the line above: when the story begins just
    below it ("Caption", "Фото: Name", "Lede.", "More."), or the line above is a captioning
    sentence; else the line below ("Getty Images", then the caption)."""
    above, below = i - 1, i + 1
    if above < 0 or not _caption_like(page, above):
        return False
    story_below = below + 1 < len(page.lines) and page.prose[below] and page.prose[below + 1]
    return story_below or page.prose[above]


def _caption_like(page: _Page, i: int) -> bool:
    if not 0 <= i < len(page.lines) or page.kind(i):
        return False
    line = page.lines[i]
    offer = lexicon.opens_box(line) or bool(
        lexicon.APPEAL.search(line)
    )  # "CircuitLine may earn a commission" is no caption
    return MIN_CAPTION_WORDS <= len(line.split()) <= MAX_CAPTION_WORDS and not (_header_item(page, i) or offer)


def _around_story(page: _Page) -> list[bool]:
    """The lines that are not story prose: furniture, boilerplate, offers, where an outlet names itself."""
    return [
        not page.prose[i] or bool(page.kind(i)) or lexicon.is_offer(line, False) for i, line in enumerate(page.lines)
    ]


def _mark_boxes(page: _Page) -> None:
    """Appeal and newsletter boxes: a line that opens one, then its promotional lines; and
    offers that stand alone in the story."""
    i = 0
    while i < len(page.lines):
        line = page.lines[i]
        if lexicon.opens_box(line) and (
            not page.kind(i) or (page.kind(i) in ("navigation", "widget") and _offer_follows(page, i))
        ):
            i = _box(page, i)
            continue
        if not page.kind(i) and page.prose[i] and lexicon.is_offer(line, page.names_outlet(line)):
            page.gone[i] = "box"
        i += 1


def _offer_follows(page: _Page, i: int) -> bool:
    """ "Newsletter" in a menu is a word; over a line that sells, it opens a box."""
    after = page.lines[i + 1] if i + 1 < len(page.lines) else ""
    return bool(lexicon.promo_hits(after) or lexicon.addresses_reader(after))


def _box(page: _Page, start: int) -> int:
    """Marks the box opening at `start`; the index after it."""
    page.gone[start] = "box"
    end = start + 1
    while end < len(page.lines) and end - start < MAX_BOX_LINES:
        line = page.lines[end]
        if lexicon.closes_box(line):
            page.gone[end] = "box"
            return end + 1
        if not (page.kind(end) or _in_box(page, end) or _pitch(page, end)):
            break
        page.gone.setdefault(end, "box")
        end += 1
    return end


def _pitch(page: _Page, i: int) -> bool:
    """ "Newsletter: Morning Briefing", "The day's business news first thing.", "Sign up": the
    short line between a box's heading and its sign-up button is the box's, whatever its words."""
    after = i + 1
    return (
        len(page.lines[i].split()) <= MAX_PITCH_WORDS
        and after < len(page.lines)
        and page.kind(after) in ("widget", "box")
        and bool(SIGN_UP.search(page.lines[after]))  # a button, not a paywall's "for subscribers"
    )


def _in_box(page: _Page, i: int) -> bool:
    line = page.lines[i]
    short = not page.prose[i] and len(line.split()) <= 6  # "Dear readers,", "Once", "Monthly"
    # in a box, one "subscription" will do on a short line or one that speaks to the reader
    speaks = len(line.split()) <= 20 or lexicon.addresses_reader(line)
    promo = lexicon.promo_hits(line) + (2 * lexicon.strong_promo_hits(line) if speaks else 0)
    return (
        short
        or page.names_outlet(line)
        or promo >= 2
        or (promo and lexicon.addresses_reader(line))
        or lexicon.is_offer(line, page.names_outlet(line))
        or lexicon.opens_box(line)
    )


def _reads_as_prose(line: str, stopwords: frozenset[str]) -> bool:
    """A line of prose: it ends as a sentence does, is long enough, has the language's stop words."""
    line = MARKUP.sub("", line).strip()
    if not SENTENCE_END.search(line):
        return False
    words = re.findall(r"\w+", line.lower())
    if len(words) < MIN_STORY_WORDS:
        return False
    return len(words) < 10 or sum(w in stopwords for w in words) >= MIN_STOPWORD_SHARE * len(words)


def _story_line(page: _Page, i: int) -> bool:
    return page.prose[i] and not page.kind(i) and not _header_item(page, i)


def _story_start(page: _Page) -> int | None:
    """The first story paragraph that another follows (boilerplate between them skipped, but
    not a photo: a standfirst, then the photo, then the lede is how most pages begin); a story
    of one paragraph is its only one."""
    first = None
    for i in range(len(page.lines)):
        if not _story_line(page, i):
            continue
        first = i if first is None else first
        j = i + 1
        while j < len(page.lines) and page.kind(j) not in (
            "",
            "footer",
            "photo",
        ):  # a photo after a standfirst ends the header
            j += 1
        if j < len(page.lines) and _story_line(page, j):
            return i
    return first


def _names_after(page: _Page, i: int) -> tuple[str, ...] | None:
    """ "by" alone on its line, then names, roles and "and" on lines of their own."""
    names: list[str] = []
    for j in range(i + 1, min(len(page.lines), i + 8)):
        if found := page.names[j]:
            names.extend(found)
        elif not (page.roles[j] or people.JOIN.fullmatch(" " + page.lines[j] + " ")):
            break
    return tuple(names) or None


def _header_item(page: _Page, i: int) -> bool:
    """A line of the header between headline and story: byline, role, dateline, photo."""
    if page.kind(i) == "photo" or page.bylines[i] or page.roles[i] or page.dates[i]:
        return True
    if people.BY_ALONE.fullmatch(page.lines[i]):  # "Author of the article:" over the name
        return True
    if page.names[i]:  # a name alone is a byline when a role, a date, a photo or a byline follows
        after = i + 1
        return after < len(page.lines) and (
            page.roles[after]
            or page.kind(after) in ("photo", "widget")
            or bool(page.dates[after] or page.bylines[after])
            or (
                page.names_outlet(page.lines[after]) and not page.names_outlet(page.lines[i])
            )  # "Tom Reddick", "Millbrook Ledger"
        )
    return False


def _header(page: _Page, start: int) -> Parts:
    """Walk up from the story over the header to the headline; read the header on the way."""
    i = start - 1
    while i >= 0 and (
        page.kind(i) or _header_item(page, i) or _furniture(page, i) or NUMBERED_HEADING.fullmatch(page.lines[i])
    ):
        i -= 1
    if i < 0:
        raise ValueError(
            "no headline found above the story (put the headline on a line of its own above the first paragraph)"
        )
    title_at, standfirst = i, ""
    upper = i - 1
    while upper >= 0 and not page.kind(upper) and (_header_item(page, upper) or _furniture(page, upper)):
        upper -= 1
    if upper >= 0 and len(page.lines[i].split()) >= MIN_STANDFIRST_WORDS and _headline_like(page, upper):
        title_at, standfirst = upper, page.lines[i]
    title = page.lines[title_at]
    if len(title.split()) > MAX_HEADLINE_WORDS:
        raise ValueError(
            f"the line taken for the headline has {len(title.split())} words, too many for a headline (put the headline on a line of its own)"
        )
    parts = Parts(title=title, standfirst=standfirst)
    _read_header(page, range(max(0, title_at - 3), start), parts)
    return parts


def _furniture(page: _Page, i: int) -> bool:
    """ "Plus", "Artikel vorlesen", "Murcia": a word or two that is not prose is never a headline."""
    return len(page.lines[i].split()) < MIN_HEADLINE_WORDS and not page.prose[i]


def _headline_like(page: _Page, i: int) -> bool:
    """A line a reader would call a title: not the outlet, a banner, a menu or a kicker."""
    line = page.lines[i]
    plain = " ".join(re.sub(r"[^\w ]+", " ", line).lower().split())
    return (
        len(line.split()) >= MIN_HEADLINE_WORDS + 1
        and not page.kind(i)
        and not line.rstrip().endswith((".", ":"))
        and not lexicon.opens_box(line)
        and not (page.outlet and plain == " ".join(re.sub(r"[^\w ]+", " ", page.outlet).lower().split()))
        and not is_masthead(line)
        and not page.rules.is_banner(line)
    )


def _read_header(page: _Page, lines: range, parts: Parts) -> None:
    """Authors, the date of publication (an "Updated" stamp only when no other is given) and
    the photo, from the header; a publication stamp at the foot of the page if the header has none."""
    updated = False
    best = 0  # how sure the authors found so far are (`_byline_strength`)
    for i in lines:
        line = page.lines[i]
        names = page.bylines[i] or (
            page.names[i] if _header_item(page, i) and not page.kind(i) and not page.names_outlet(line) else None
        )
        names = names or (_names_after(page, i) if people.BY_ALONE.fullmatch(line) else None)
        when = page.dates[i]
        if names and _byline_strength(page, i) > best:
            parts.authors, best = names, _byline_strength(page, i)
        if when and (parts.date is None or (updated and not is_update(line))):
            parts.date, updated = when, is_update(line)
        if i in page.photos and parts.picture is None:
            caption, credit = page.photos[i]
            parts.picture = Picture(caption=caption, credit=credit)
    if parts.date is None or updated:  # "Publiziert am 22.11.2026", "First uploaded on: ..." below the story
        stamped = next((when for when, line in zip(page.dates, page.lines) if when and is_published(line)), None)
        parts.date = stamped or parts.date


def _byline_strength(page: _Page, i: int) -> int:
    """A "By" line is surest; a name over a role or a date next; a name over a photo may be the
    photo's title ("Stuttgarter Stäffele" above "Bild: ..."), so the least sure."""
    if page.bylines[i] or people.BY_ALONE.fullmatch(page.lines[i]):
        return 3
    after = i + 1
    return 2 if after < len(page.lines) and (page.roles[after] or page.dates[after] or page.bylines[after]) else 1


def _byline_below(page: _Page, start: int) -> tuple[str, ...]:
    """Broadcasters credit the words at the foot ("Sujet radio: A", "Adaptation web: B"): the
    "By" lines below the story when the header has none, up to the footer."""
    names: list[str] = []
    for i in range(start, len(page.lines)):
        if page.kind(i) == "footer":
            break
        names.extend(name for name in page.bylines[i] or () if name not in names)
    return tuple(names)


def _story(page: _Page, start: int, authors: tuple[str, ...] = ()) -> list[str]:
    """The story paragraphs from `start` to the page's footer, and the crossheads between them;
    what trails the story past a break and reads as a note about it goes (`_tail`)."""
    kept: list[str] = []
    after_break: list[bool] = []
    broken = False  # a line since the last paragraph that is neither story nor known boilerplate
    for i in range(start, len(page.lines)):
        if page.kind(i) == "footer" or (kept and _author_box(page, i)):
            break
        if _story_line(page, i) or (kept and _crosshead(page, i)):
            if (
                broken
                and not _crosshead(page, i)
                and len(page.lines[i].split()) < MIN_LATE_PARAGRAPH_WORDS
                and _last_paragraph(page, i)
            ):
                continue  # "Ce message s'affichera sur l'autre appareil."
            kept.append(page.lines[i])
            after_break.append(broken or bool(page.kind(i - 1)))
            broken = False
        elif not page.kind(i):
            broken = True
    while len(kept) > 1 and after_break[-1] and _tail(page, kept[-1], authors):
        kept.pop()
        after_break.pop()
    return _without_pull_quotes(kept)


def _tail(page: _Page, paragraph: str, authors: tuple[str, ...]) -> bool:
    """A paragraph past the story's last break that is about the story, not of it: it names
    the outlet or the writer ("Pichler schreibt über Tourismus"), speaks to the reader, asks,
    or opens with a label ("Disclaimer:")."""
    surnames = {name.split()[-1].lower() for name in authors if name.split()}
    words = set(re.findall(r"\w+", paragraph.lower()))
    return (
        page.names_outlet(paragraph)
        or bool(surnames & words)
        or lexicon.addresses_reader(paragraph)
        or paragraph.rstrip().endswith("?")
        or bool(re.match(r"[\w ]{2,25}:\s", paragraph))
    )


def _without_pull_quotes(paragraphs: list[str]) -> list[str]:
    """A short quotation that repeats words of another paragraph (a pull quote set in large
    type) goes. Only quotations are looked for, and only so many, so a huge page stays linear."""
    plain = [" ".join(re.sub(r"[«»\"“”„‘’'.,!?…]", " ", p).lower().split()) for p in paragraphs]
    text = "\n".join(plain)
    quotes = [i for i, p in enumerate(paragraphs) if QUOTE_MARK.search(p) and len(p.split()) <= MAX_PULL_QUOTE_WORDS][
        :MAX_PULL_QUOTES
    ]
    repeated = {i for i in quotes if plain[i] and text.count(plain[i]) >= 2}
    return [p for i, p in enumerate(paragraphs) if i not in repeated]


def _author_box(page: _Page, i: int) -> bool:
    """A name over a role line below the story: the writer's bio, the page's end."""
    return bool(page.names[i]) and i + 1 < len(page.lines) and page.roles[i + 1]


def _last_paragraph(page: _Page, i: int) -> bool:
    return not any(_story_line(page, j) for j in range(i + 1, min(len(page.lines), i + 30)))


def _crosshead(page: _Page, i: int) -> bool:
    """ "What happens next": a short heading inside the story, prose on both sides of it."""
    line = page.lines[i]
    if (
        page.kind(i)
        or _header_item(page, i)
        or not 2 <= len(line.split()) <= MAX_CROSSHEAD_WORDS
        or not line[0].isupper()
        or SENTENCE_END.search(line)
    ):
        return False
    if (
        lexicon.promo_hits(line) or page.names_outlet(line) or lexicon.APPEAL.search(line)
    ):  # "Wochenpost abonnieren und weiterlesen" is an offer
        return False
    after = next(
        (j for j in range(i + 1, min(len(page.lines), i + 3)) if not page.kind(j)), None
    )  # prose right below it
    return after is not None and _story_line(page, after)


def strip_boilerplate(lines: list[str], rules: LineRules) -> list[str]:
    """Blocks of a saved page's story, as trafilatura found them, without boxes and widgets:
    what the segmenter removes from pasted text, for pages read from HTML."""
    page = _page(lines, rules, ZoneInfo("UTC"), rules.outlet_names[0] if rules.outlet_names else "")
    _mark_lexicon(page)
    _mark_boxes(page)
    return [
        line for i, line in enumerate(lines) if not page.kind(i) and not (photo_line(line) and len(line.split()) <= 12)
    ]
