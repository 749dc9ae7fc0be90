"""Which lines of pasted article text are the site's boilerplate rather than the story.

Built-in rules cover what news pages put around a story; a site adds rules per outlet in
broadsheet.yaml (`import.sources`), matched by the outlet's name or the host of its URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from broadsheet.build.config import ImportSettings, SourceRule

# A whole line that is a widget: links, buttons, share bars, cookie and payment bits.
WIDGET_LINES = [
    r"read more\b.{0,150}", r"(related|more on this|recommended|most (read|viewed|popular))( stories| articles)?:?",
    r"sign up\b.{0,150}", r"subscribe( now| today)?\b.{0,150}", r"log ?in|sign in|register",
    r"share|share this( article| story)?|copy link|email|print|save|tweet|(\d+ )?comments?( \(\d+\))?",
    r"share (on|via) .{0,40}", r"facebook|twitter|x|whatsapp|linkedin|reddit|bluesky|threads|messenger",
    r"advertisement|advert|sponsored( content)?|skip (advertisement|ad)\b.{0,40}|skip to (main )?content",
    r".{0,100}\bcookies?\b.{0,100}\b(accept|settings|preferences|policy|consent)\b.{0,100}|accept( all)?( cookies)?|reject all",
    r"((updated|published) )?\d+ (minutes?|hours?|days?|weeks?) ago",
    r"listen to this article.{0,40}|\d+ min(ute)?s? (read|listen)", r"topics?:?|tags?:.{0,200}",
    r"(give|donate|pay|contribute)( once| monthly| annually| now| today)?( [£$€]\s?\d.{0,40})?",
    r"(monthly|annual|annually|one-?off|single|recurring)( payment| contribution| donation)?",
    r"[£$€]\s?\d+(\.\d\d)?( (per|a|/) ?(month|year|week))?( or more)?",
    r"continue|maybe later|remind me( later| in \w+)?|not now|no thanks|close|dismiss",
    r"(accepted )?payment methods?:.{0,100}",
    r"((visa|mastercard|american express|amex|paypal|apple pay|google pay)[\s,/|]*(and\s+)?){2,}",
    r"privacy (notice|policy)\b.{0,300}|terms (and conditions|of (use|service))\b.{0,100}",
    r"(enter )?your email( address)?\b.{0,40}",
    r"(©|\(c\)|copyright ©?\s?\d{4}).{0,100}", r"all rights reserved\.?",
]  # fmt: skip

# A line that opens a box of appeals or newsletter offers: it and its promotional lines go.
BOX_START = [
    r"support (us|our \w+|independent journalism|the [\w’' -]{1,40})[.!]?",
    r"(please |can you )?(help us|support us|donate|make a (donation|contribution))\b.{0,200}",
    r"(become|join) (a |our )?(member|supporter|subscriber|patron)s?\b.{0,200}",
    r"(before you go|a (message|note) from .{0,40}|we have a (small )?favou?r to ask)\b.{0,200}",
    r"newsletters?( promotion)?:?", r".{0,40}\b(free|daily|weekly|our)\b.{0,30}\bnewsletters?\b.{0,120}",
    r"(sign up|subscribe) (to|for)\b.{0,200}", r"get (our|the) .{0,40} (in|to) your inbox.{0,100}",
]  # fmt: skip
# A heading over links to other stories: the next line, a headline, goes with it.
LINK_HEADING = re.compile(r"\W*(read more|related( stories| articles)?|more on this( story)?|recommended|most (read|viewed|popular)|see also)\W*", re.I)
BOX_END = re.compile(r"\W*(skip past|after) newsletter promotion\W*", re.I)
# Words that keep a box going; a line without them is the story again.
PROMO_WORDS = re.compile(
    r"\b(support(ers?|ing)?|donat\w*|contribut\w*|subscri\w*|newsletters?|inbox|sign(ing)? up|email"
    r"|journalism|readers?|membership|members?|paywall|fund(ed|ing)?|give|gift|monthly|one-?off|free"
    r"|ads?|advertis\w*|privacy|unsubscribe|independent|billionaire|shareholders?|owners?)\b|[£$€]\s?\d",
    re.I,
)
MAX_BOX_LINES = 15  # a box longer than this is not a box: keep the story safe
MAX_BOX_START_WORDS = 20  # boxes open with a heading or a sentence, not a long paragraph

CREDIT_MARKER = re.compile(r"(?:^|\s|\()(?:photograph|photo|image|picture|illustration|credit)s?(?:\s*:|\s+by\b|\s+source,)\s*(?=\S)", re.I)
CAPTION_LINE = re.compile(r"(?:image|photo|picture) caption,?\s+(?P<caption>\S.*)", re.I)
BARE_CREDIT = re.compile(r"[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3} ?/ ?[A-Z][\w&.'’ -]{1,40}")
BYLINE = re.compile(r"(?i:by|words by|reported by)\s+(?P<names>[A-Z][^.!?]{1,120})")
ROLE = re.compile(r"\b(correspondent|editor|reporter|writer|staff|columnist|contributor|analyst|agencies)\b|^in [A-Z]", re.I)
NAV_LINE = re.compile(r"[^|•·]{1,30}(?:\s*[|•·]\s*[^|•·]{1,30}){2,}")
URL_LINE = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class LineRules:
    """Compiled rules for one input: built-in ones plus the site's for its outlet."""

    drop: tuple[re.Pattern, ...]  # the site's patterns; a line they find anything in goes
    banner: tuple[re.Pattern, ...]
    outlet_names: tuple[str, ...]  # lowercased names whose short lines are the outlet's banner

    def is_widget(self, line: str) -> bool:
        return any(p.fullmatch(line) for p in WIDGET) or any(p.search(line) for p in self.drop)

    def starts_box(self, line: str) -> bool:
        return len(line.split()) <= MAX_BOX_START_WORDS and any(p.fullmatch(line) for p in BOX)

    def is_banner(self, line: str) -> bool:
        """The outlet's name or masthead line, or a menu, above the headline."""
        plain = re.sub(r"[^\w ]+", " ", line).lower().split()
        named = " ".join(plain) in self.outlet_names
        return named or bool(NAV_LINE.fullmatch(line)) or any(p.search(line) for p in self.banner) or is_masthead(line)

    def with_outlet(self, name: str) -> LineRules:
        plain = " ".join(re.sub(r"[^\w ]+", " ", name).lower().split())
        return replace(self, outlet_names=tuple(sorted({*self.outlet_names, plain})))

    def names_outlet(self, line: str) -> bool:
        """A short line that mentions the outlet ("Support The Ledger", "The Ledger view")."""
        lower = line.lower()
        return len(line.split()) <= 6 and any(name in lower for name in self.outlet_names)


def _compile(patterns: list[str] | tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.I) for p in patterns)


WIDGET = _compile([r"\W*(?:" + p + r")\W*" for p in WIDGET_LINES])
BOX = _compile([r"\W*(?:" + p + r")\W*" for p in BOX_START])


def is_masthead(line: str) -> bool:
    """A short line all in capitals is a masthead, not a headline."""
    letters = [c for c in line if c.isalpha()]
    return 0 < len(line.split()) <= 5 and len(letters) >= 3 and all(c.isupper() for c in letters)


def rules_for(settings: ImportSettings, source_name: str, url: str) -> LineRules:
    """The built-in rules plus those of the configured source that matches by name or host."""
    rule = matching_rule(settings, source_name, url)
    extra = (*settings.drop, *(rule.drop if rule else ()))
    names = {n.lower() for n in (source_name, rule.name if rule else "") if n}
    return LineRules(_compile(extra), _compile(rule.banner) if rule else (), tuple(sorted(names)))


def matching_rule(settings: ImportSettings, source_name: str, url: str) -> SourceRule | None:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    for rule in settings.sources:
        hosts = {h.lower().removeprefix("www.") for h in rule.hosts}
        if (source_name and rule.name.lower() == source_name.lower()) or (host and host in hosts):
            return rule
    return None


def promotional(line: str) -> bool:
    """A line of an appeal or newsletter box: long lines need two promotional words, others one."""
    hits = len(PROMO_WORDS.findall(line))
    return hits >= (2 if len(line.split()) > 25 else 1)


def is_headline_like(line: str) -> bool:
    return len(line.split()) <= 14 and not line.rstrip().endswith((".", "!", "?", ".\"", ".”", ":"))


def ends_box(line: str) -> bool:
    return bool(BOX_END.fullmatch(line))


def split_credit(line: str) -> tuple[str, str] | None:
    """(caption, credit) when the line is a photo credit or caption ("Image caption, ...")."""
    labelled = CAPTION_LINE.fullmatch(line.strip())
    if labelled:
        return labelled.group("caption"), ""
    marker = CREDIT_MARKER.search(line)
    if marker and len(line) <= 300:
        caption = line[: marker.start()].strip().rstrip("(").strip()
        credit = line[marker.end() :].strip().rstrip(")").strip()
        return (caption, credit) if credit else None
    if BARE_CREDIT.fullmatch(line.strip()):
        return "", line.strip()
    return None


def byline(line: str) -> tuple[str, ...] | None:
    match = BYLINE.fullmatch(line.strip())
    if not match or len(line) > 120:
        return None
    names = re.split(r"\s*(?:,|\band\b|&)\s*", match.group("names"))
    return tuple(n.strip() for n in names if n.strip() and not re.search(r"\d", n) and not ROLE.search(n))


def home_page(url: str) -> str:
    """https://news.example/a/b -> https://news.example/, the outlet's own address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme in ("http", "https") and parts.netloc else ""
