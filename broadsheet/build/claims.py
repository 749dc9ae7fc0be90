"""Every output file is claimed once: who writes which path, checked before anything is written.

Each kind of output (pages, newsletter pages, feeds, sitemaps, the search index, static
files, bundle files, smaller copies of photos) hands in a `Claim` for every path it will
write, naming where the path comes from. `check` finds:

- a path claimed twice: an error naming both sources (an article titled "Tags" under
  `article_url: /{slug}/` would otherwise take the place of the list of tags, and which
  one won changed from build to build);
- two paths that differ only in letter case or Unicode normalisation (`Tags/` and
  `tags/`, or an accent written as one character or two): one file on macOS and Windows,
  two on Linux, so the same site would come out differently; an error everywhere, so a
  site builds the same on every machine;
- a path that is a file for one claim and a folder for another (a static file `tags`);
- a path that would leave the output folder.

One override is on purpose: a claim marked `replaceable` (robots.txt, the only one) gives
way to a file of the same name in the site's `static/`. Feeds, sitemaps and the search
index do not: a hand-written copy would go stale with the next article.

Lines are looked up only for the claims that clash, by reading that file's front matter
again, so checking tens of thousands of claims costs no parsing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from broadsheet.build import frontmatter, yamlload
from broadsheet.build.routes import Page
from broadsheet.build.write import safe_relative
from broadsheet.problems import Problem

# The order in which a clash is told: the claim the user is likelier to change is the
# problem's own file; the site's own outputs (listings, feeds) are named in the message.
SITE, ARTICLE, REDIRECT, BUNDLE, STATIC = "site", "article", "redirect", "bundle", "static"
RANK = {SITE: 0, ARTICLE: 1, REDIRECT: 2, BUNDLE: 3, STATIC: 4}
ADVICE = {
    SITE: "",
    ARTICLE: "set another slug, or change article_url",
    REDIRECT: "remove or change that alias",
    BUNDLE: "rename or move that file",
    STATIC: "rename or remove that file",
}
# taxonomy -> front matter key
TERM_KEYS = {"tags": "tags", "sections": "section", "sources": "source", "authors": "authors"}
TERM_NAMES = {"tags": "tag", "sections": "section", "sources": "source", "authors": "author"}
LISTINGS = {
    "index.html": "the front page",
    "archive.html": "the archive page",
    "search.html": "the search page",
    "404.html": "the not-found page",
}


@dataclass(frozen=True, slots=True)
class Claim:
    path: str  # site-relative output file, e.g. "tags/index.html"
    what: str  # what it is, for messages: "the article", "the Atom feed of tag Energy"
    source: str = ""  # the site-relative file it comes from; '' for the site's own outputs
    key: str = ""  # the front matter key the path comes from ("slug", "tags"); its line is found when needed
    kind: str = SITE  # SITE, ARTICLE, REDIRECT, BUNDLE or STATIC: who gives way, and the advice
    replaceable: bool = False  # a file of the same path in the site's static/ replaces it
    line: int = 0  # the line, when the source is not front matter (the record of published URLs)


def of_pages(pages: Iterable[Page], newsletter: bool = False) -> list[Claim]:
    """The claims of rendered pages: an article's comes from its file's slug (or title),
    a term page's from a file that names the term, the rest are the site's own."""
    kind = "newsletter claim" if newsletter else "claim"
    claims = []
    for page in pages:
        # a function of the page alone: made once per page (and checked to be this page's:
        # a copy of a page made with other values shares the dict)
        made = page.derived.get(kind)
        if made is None or made[0] is not page.context or made[1].path != page.path or made[2] != page.template:
            made = page.derived[kind] = (page.context, _page_claim(page, newsletter), page.template)
        claims.append(made[1])
    return claims


def _page_claim(page: Page, newsletter: bool) -> Claim:
    context = page.context
    if "entry" in context:
        return Claim(page.path, "the article", context["entry"].article.path, "slug", ARTICLE)
    if newsletter:
        return Claim(page.path, f"the newsletter page of edition {context['edition'].key}")
    number = getattr(context.get("paginator"), "number", 1)
    nth = f" (page {number})" if number > 1 else ""
    if "term" in context:
        kind, entries = context["kind"], context.get("entries") or ()
        source = entries[0].article.path if entries else ""
        return Claim(
            page.path,
            f"the page of {TERM_NAMES[kind]} {context['term'].name}{nth}",
            source,
            TERM_KEYS[kind] if source else "",
        )
    if "edition" in context:
        return Claim(page.path, f"the page of edition {context['edition'].key}")
    if "taxonomy" in context:
        return Claim(page.path, f"the list of {context['taxonomy'].kind}")
    return Claim(page.path, LISTINGS.get(page.template, f"the page {page.template}") + nth)


def check(claims: Iterable[Claim], site_dir: Path) -> list[Problem]:
    """A Problem for each path claimed twice, each pair of paths one file system would
    take for one, each file that another claim needs as a folder, each path outside."""
    clashes: list[_Clash] = []
    outside: list[Claim] = []
    files: dict[str, Claim] = {}  # folded path -> the claim that holds it
    for claim in claims:
        if not _inside(claim.path):
            outside.append(claim)
            continue
        folded = fold(claim.path)
        earlier = files.get(folded)
        if earlier is None or _gives_way(earlier, claim):
            files[folded] = claim
        elif not _gives_way(claim, earlier):
            clashes.append(
                _Clash(earlier, claim, "same" if earlier.path == claim.path else "case", earlier.path, claim.path)
            )
    clashes += _folders(files)
    lines = _Lines(site_dir)
    problems = [
        Problem(c.source, *lines.find(c), f"output path {c.path!r} would be outside the output folder") for c in outside
    ]
    problems += [_problem(clash, lines) for clash in clashes]
    return sorted(set(problems))


def give_way(redirects: list[Claim], others: Iterable[Claim], site_dir: Path) -> tuple[list[Claim], list[Problem]]:
    """The redirects whose path no other output takes, and a warning for each that one does:
    an old address that is now a page (another article's, a list's, any file) stays that
    page, never silently replaced by a redirect. What is left goes to check() with the rest,
    so two redirects of one path, or a redirect where a folder must be, are still errors."""
    taken = {fold(c.path): c for c in others}
    kept, problems, lines = [], [], _Lines(site_dir)
    for claim in redirects:
        holder = taken.get(fold(claim.path))
        if holder is None:
            kept.append(claim)
            continue
        line, key = lines.find(claim)
        problems.append(
            Problem(
                claim.source,
                line,
                key,
                f"{claim.what} is not written: {holder.path} is {_name(holder, lines)}",
                warning=True,
            )
        )
    return kept, problems


def _inside(path: str) -> bool:
    """write.safe_relative, with a short cut for the paths that plainly are (nearly all)."""
    plain = path and path[0] != "/" and ".." not in path and "\\" not in path and "\0" not in path
    return bool(plain) or safe_relative(path)


def fold(path: str) -> str:
    """What a case-insensitive, normalisation-insensitive file system (macOS, Windows)
    sees: two paths with one fold are one file there."""
    if path.isascii():
        return path.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", path).casefold())


def _gives_way(generated: Claim, static: Claim) -> bool:
    """static/robots.txt replaces the generated one; static/Robots.txt is a clash."""
    return generated.replaceable and static.kind == STATIC and generated.path == static.path


@dataclass(frozen=True)
class _Clash:
    first: Claim
    second: Claim
    how: str  # "same" path, paths alike but for "case", a file where a "folder" is needed
    first_name: str  # the path or folder of each that clashes
    second_name: str


def _folders(files: dict[str, Claim]) -> list[_Clash]:
    """Folders spelt two ways (`Tags/a.html`, `tags/index.html`), and files where another
    claim needs a folder. Shared folders are walked once: a folder seen with the same
    spelling has had its parents seen too (at 10,000 articles, two steps a path)."""
    clashes = []
    spelt: dict[str, tuple[str, Claim]] = {}  # folded folder -> (its spelling, the first claim below it)
    for folded, claim in files.items():
        path = claim.path
        aligned = path.isascii()  # then lower() kept every index of the path
        end = path.rfind("/")
        while end > 0:
            folder = path[:end]
            key = folded[:end] if aligned else fold(folder)
            seen = spelt.get(key)
            if seen is None:
                spelt[key] = (folder, claim)
                end = path.rfind("/", 0, end)
                continue
            if seen[0] != folder:
                theirs, ours = _first_difference(seen[0], folder)
                clashes.append(_Clash(seen[1], claim, "case", theirs, ours))
            break
    for key in sorted(spelt.keys() & files.keys()):  # a file where another claim needs a folder
        holder, (folder, claim) = files[key], spelt[key]
        clashes.append(_Clash(holder, claim, "folder", holder.path, folder))
    return clashes


def _first_difference(a: str, b: str) -> tuple[str, str]:
    """The two spellings of the outermost folder that differs: "Tags", "tags"."""
    parts_a, parts_b = a.split("/"), b.split("/")
    n = next(i for i, (x, y) in enumerate(zip(parts_a, parts_b)) if x != y)
    return "/".join(parts_a[: n + 1]), "/".join(parts_b[: n + 1])


def _problem(clash: _Clash, lines: _Lines) -> Problem:
    a, b = clash.first, clash.second
    swap = (RANK[b.kind], b.source) > (RANK[a.kind], a.source)  # the problem is told from the likelier one to change
    ours, other, our_name, other_name = (
        (b, a, clash.second_name, clash.first_name) if swap else (a, b, clash.first_name, clash.second_name)
    )
    line, key = lines.find(ours)
    advice = f"; {ADVICE[ours.kind]}" if ADVICE[ours.kind] else ""
    them = _name(other, lines)
    if clash.how == "same":
        message = f"writes {ours.path}, which {them} also writes{advice}"
    elif clash.how == "case" and our_name == ours.path:
        message = f"writes {ours.path}, and {them} writes {other.path}: on macOS and Windows, which ignore letter case (and macOS how an accent is encoded), they are one file{advice}"
    elif clash.how == "case":
        message = (f"writes {ours.path} into folder {our_name}, and {them} writes {other.path} into {other_name}: "
                   f"on macOS and Windows, which ignore letter case (and macOS how an accent is encoded), they are one folder{advice}")  # fmt: skip
    elif ours is b:  # ours needs a folder where the other writes a file
        message = f"writes {ours.path}, but {other.path} is a file, written by {them}{advice}"
    else:
        message = f"writes {ours.path} as a file, where {them} needs a folder for {other.path}{advice}"
    return Problem(ours.source, line, key, message)


def _name(claim: Claim, lines: _Lines) -> str:
    if not claim.source:
        return claim.what
    line, _ = lines.find(claim)
    return f"{claim.what} ({claim.source}:{line})" if line else f"{claim.what} ({claim.source})"


class _Lines:
    """The line of a claim's front matter key, read from its file when first asked."""

    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir
        self.known: dict[str, dict[str, int]] = {}

    def find(self, claim: Claim) -> tuple[int, str]:
        """(line, key): the key's line; for a slug made from the title, the title's;
        line 1 when the file gives neither (the path comes from its name)."""
        if claim.line or not claim.key:
            return claim.line, claim.key
        lines = self._key_lines(claim.source)
        for key in (claim.key, "title") if claim.key == "slug" else (claim.key,):
            if key in lines:
                return lines[key] + 1, key  # the YAML starts on the file's second line
        return 1, claim.key

    def _key_lines(self, source: str) -> dict[str, int]:
        if source not in self.known:
            self.known[source] = {}
            try:
                parts = frontmatter.split((self.site_dir / source).read_text(encoding="utf-8"))
                if isinstance(parts, frontmatter.Split):
                    self.known[source] = yamlload.load(parts.yaml_text).lines
            except (OSError, UnicodeDecodeError, yamlload.YamlError):
                pass  # it was read once already this build; a file gone since keeps line 0
        return self.known[source]
