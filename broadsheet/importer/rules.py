"""Per-outlet rules for pasted text, from broadsheet.yaml (`import.sources`): an override for
what the general segmenter (segment.py) gets wrong on one outlet's pages. A rule is matched by
the outlet's name or the host of the article's URL; its `drop` patterns remove lines, its
`banner` patterns mark lines that are never the headline, and its name is the outlet's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from broadsheet.build.config import ImportSettings, SourceRule

URL_LINE = re.compile(r"https?://\S+")
NAV_LINE = re.compile(
    r"[^|•·]{1,30}(?:\s*[|•·]\s*[^|•·]{1,30}){2,}|[^/›»>]{1,30}(?:\s+/\s+[^/›»>]{1,60}){2,}|[^/›»>]{1,30}(?:\s+[›»>]\s+[^/›»>]{1,60})+"
)  # menus, breadcrumbs


@dataclass(frozen=True)
class LineRules:
    """The site's rules for one input."""

    drop: tuple[re.Pattern, ...]  # a line they find anything in goes
    banner: tuple[re.Pattern, ...]
    outlet_names: tuple[str, ...]  # the name given (--source-name or the rule's), when there is one

    def drops(self, line: str) -> bool:
        return any(p.search(line) for p in self.drop)

    def is_banner(self, line: str) -> bool:
        """The outlet's masthead or a menu row, never the headline."""
        return bool(NAV_LINE.fullmatch(line)) or any(p.search(line) for p in self.banner)


def _compile(patterns: list[str] | tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.I) for p in patterns)


def is_masthead(line: str) -> bool:
    """A short line all in capitals is a masthead, not a headline."""
    letters = [c for c in line if c.isalpha()]
    return 0 < len(line.split()) <= 5 and len(letters) >= 3 and all(c.isupper() for c in letters)


def rules_for(settings: ImportSettings, source_name: str, url: str) -> LineRules:
    """The site-wide drop patterns plus those of the configured source that matches by name or host."""
    rule = matching_rule(settings, source_name, url)
    extra = (*settings.drop, *(rule.drop if rule else ()))
    names = [n for n in (source_name, rule.name if rule else "") if n]
    return LineRules(_compile(extra), _compile(rule.banner) if rule else (), tuple(dict.fromkeys(names)))


def matching_rule(settings: ImportSettings, source_name: str, url: str) -> SourceRule | None:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    for rule in settings.sources:
        hosts = {h.lower().removeprefix("www.") for h in rule.hosts}
        if (source_name and rule.name.lower() == source_name.lower()) or (host and host in hosts):
            return rule
    return None


def home_page(url: str) -> str:
    """https://news.example/a/b -> https://news.example/, the outlet's own address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme in ("http", "https") and parts.netloc else ""
