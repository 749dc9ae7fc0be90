"""This Week in Rust as a Broadsheet site, timed against Pelican on the same checkout.

    python bench/twir.py CHECKOUT [--repeat 3] [--pelican PATH] [--pelican-conf own|minimal]

CHECKOUT is a checkout of https://github.com/rust-lang/this-week-in-rust, a real digest of
about 670 weekly issues published with Pelican. None of it is kept in this repository: the
script converts it at run time into a temporary folder, which it removes at the end.

Converting (Pelican's Markdown metadata -> Broadsheet's YAML front matter):

- Each `content/*.md` and `content/*.markdown` is one article. Its header is Python-Markdown
  `meta` lines (`Key: value`, keys in any case, an indented line continuing the value above)
  up to the first blank line; the rest is the body, kept as it is.
- `Title` -> `title`. `Date` (`2024-01-03`, `2013-06-07 18:46`, one-digit months and days
  too) -> `date`, read in the site's time zone as Pelican reads it in its TIMEZONE.
- `Tags` (comma-separated) -> `tags`.
- `Author` or `Authors` (comma-separated) -> `authors`. An issue with neither gets the
  `AUTHOR` of the checkout's pelicanconf.py ("TWiR Contributors"), as Pelican does, so both
  make that author's page.
- `Summary` -> `summary`; without it (every issue today) Broadsheet takes the first
  paragraph, Pelican the first 50 words.
- `Category` -> the section: the article goes to `content/<category as a slug>/`
  (`this-week-in-rust`, `rust`; `misc`, Pelican's default category, when it has none).
- `Slug` -> `slug` when it is one Broadsheet takes (lowercase letters, digits, hyphens), else
  left out and made from the title. Any other key (`Number`) is kept, lowercased, as a
  string: Broadsheet keeps unknown keys for templates (`entry.extra.number`).
- broadsheet.yaml: `title` (SITENAME), `base_url` (SITEURL + "/") and `timezone` (TIMEZONE)
  read from the checkout's pelicanconf.py; Broadsheet's own theme and Markdown extensions.

Skipped, and why:

- `content/*.rst` (one issue, "State of Rust 0.11.0"): Broadsheet reads Markdown only;
- `content/pages/` (the privacy policy): a Pelican page, not a dated issue;
- `content/images/`: the issues link their images by absolute URL to this-week-in-rust.org;
- `draft/` (next week's issue): outside content/, Pelican does not build it either;
- a file whose header has no Title or no Date that can be read (named in the output).

Timing, in rounds, one of each back to back so that all three see the same load:

- Broadsheet cold: `python -m broadsheet build --site DIR --quiet`, output and cache removed;
- Pelican cold: `pelican content -o OUT -s pelicanconf.py` on a copy of the checkout's
  content/, plugins/, themes/ and pelicanconf.py, with a fresh OUT and no cache. With
  `--pelican-conf own` (the default) the checkout's own pelicanconf.py: theme `rusted`, plugins
  `webassets` (needs `pelican-webassets libsass cssmin` beside Pelican) and `neighbors`. When it
  fails on the first build, the script says so and uses the minimal one instead; `minimal`
  asks for it outright: default theme, no plugins, the same Markdown extensions, time zone,
  article URLs and pagination. Pelican builds content/ as it is (the .rst issue and the page too);
- Broadsheet no change: the same command again, the output and cache of the cold build in place.

Each is a whole process (interpreter start-up included), with Broadsheet's bytecode compiled
first, as installing it does (where PYTHONDONTWRITEBYTECODE is set, as in some containers, an
editable install would otherwise compile its modules again in every run: 0.09 s of a no-change
build). Printed: median, min and max wall
time, the median CPU time (user + sys of the process and the workers it waited for, which
the machine's other load disturbs less), the peak RSS of the largest process, the HTML files
in each output, and the ratios the issue sets targets for (Broadsheet cold at most 0.6x
Pelican's, no change under 0.3 s).
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import find_tool

import build as bench_build
from build import Run, run_child

INSTALL = (
    "python3 -m venv /tmp/pelican-venv && /tmp/pelican-venv/bin/pip install pelican markdown "
    "pelican-webassets libsass cssmin, then pass --pelican /tmp/pelican-venv/bin/pelican"
)
DEFAULT_CATEGORY = "misc"  # Pelican's, for an article without a Category
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::\d{2})?)?")
COLD_TARGET, NO_CHANGE_TARGET = 0.6, 0.3  # issue 19: at most 0.6x Pelican's cold build; under 0.3 s


# --- reading the checkout --------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    path: Path  # relative to content/
    meta: dict[str, str]  # keys lowercased
    body: str


@dataclass
class Conversion:
    articles: int = 0
    sections: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def read_issue(content: Path, path: Path) -> Issue:
    """Pelican's Markdown metadata: `Key: value` lines (an indented line continues the
    value above) up to the first blank line or the first line that is neither."""
    lines = path.read_text(encoding="utf-8").removeprefix("\ufeff").split("\n")
    meta: dict[str, str] = {}
    key, end = "", len(lines)
    for at, line in enumerate(lines):
        found = re.match(r"([A-Za-z0-9_-]+):\s*(.*)$", line)
        if found:
            key = found[1].lower()
            meta[key] = found[2].strip()
        elif key and line.startswith("    ") and line.strip():
            meta[key] += " " + line.strip()
        else:
            end = at
            break
    start = end + 1 if end < len(lines) and not lines[end].strip() else end  # the blank line ends the header
    return Issue(path.relative_to(content), meta, "\n".join(lines[start:]))


def pelican_setting(checkout: Path, name: str, default: str) -> str:
    """A plain string setting of the checkout's pelicanconf.py (`NAME = u'...'`), read as text."""
    conf = checkout / "pelicanconf.py"
    text = conf.read_text(encoding="utf-8") if conf.is_file() else ""
    found = re.search(rf"^{name}\s*=\s*u?(['\"])(.*?)\1", text, re.MULTILINE)
    return found[2] if found else default


def slugify(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())) or DEFAULT_CATEGORY


def quoted(text: str) -> str:
    """A YAML double-quoted string (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def front_matter(issue: Issue, default_author: str) -> str | None:
    """The article's YAML front matter; None when it has no title or no readable date."""
    meta = dict(issue.meta)
    title, date = meta.pop("title", ""), DATE.fullmatch(meta.pop("date", ""))
    if not title or date is None:
        return None
    year, month, day, hour, minute = date.groups()
    when = f"{year}-{int(month):02d}-{int(day):02d}" + (f" {int(hour):02d}:{minute}" if hour else "")
    authors = split_list(meta.pop("authors", "") or meta.pop("author", "")) or [default_author]
    meta.pop("author", None)
    lines = [f"title: {quoted(title)}", f"date: {when}", f"authors: [{', '.join(map(quoted, authors))}]"]
    tags = split_list(meta.pop("tags", ""))
    if tags:
        lines.append(f"tags: [{', '.join(map(quoted, tags))}]")
    if meta.get("summary"):
        lines.append(f"summary: {quoted(meta.pop('summary'))}")
    slug = meta.pop("slug", "")
    if SLUG.fullmatch(slug):
        lines.append(f"slug: {slug}")
    meta.pop("category", None)
    meta.pop("summary", None)
    lines += [f"{key}: {quoted(value)}" for key, value in sorted(meta.items()) if re.fullmatch(r"[a-z][a-z0-9_]*", key)]
    return "---\n" + "\n".join(lines) + "\n---\n"


def convert(checkout: Path, site: Path) -> Conversion:
    """Write the Broadsheet site for the checkout into `site` (see the rules above)."""
    content, done = checkout / "content", Conversion()
    settings = {
        "title": pelican_setting(checkout, "SITENAME", "This Week in Rust"),
        "base_url": pelican_setting(checkout, "SITEURL", "https://this-week-in-rust.org").rstrip("/") + "/",
        "timezone": pelican_setting(checkout, "TIMEZONE", "UTC"),
    }
    write(site / "broadsheet.yaml", "".join(f"{key}: {quoted(value)}\n" for key, value in settings.items()))
    author = pelican_setting(checkout, "AUTHOR", "TWiR Contributors")
    for path in sorted(content.rglob("*")):
        rel = path.relative_to(content).as_posix()
        if path.is_dir():
            continue
        if len(path.relative_to(content).parts) > 1 or path.suffix not in (".md", ".markdown"):
            done.skipped.append((rel, skip_reason(rel)))
            continue
        issue = read_issue(content, path)
        header = front_matter(issue, author)
        if header is None:
            done.skipped.append((rel, "no Title, or no Date that can be read"))
            continue
        section = slugify(issue.meta.get("category", DEFAULT_CATEGORY))
        write(site / "content" / section / (path.stem + ".md"), header + issue.body)
        done.articles += 1
        done.sections[section] = done.sections.get(section, 0) + 1
    return done


def skip_reason(rel: str) -> str:
    if rel.endswith(".rst"):
        return "reStructuredText: Broadsheet reads Markdown only"
    if rel.startswith("pages/"):
        return "a Pelican page, not a dated issue"
    if rel.startswith("images/"):
        return "an image: the issues link theirs by absolute URL"
    return "not an article"


# --- Pelican ---------------------------------------------------------------------------

MINIMAL_CONF = """AUTHOR = {author!r}
SITENAME = {sitename!r}
SITEURL = ""
PATH = "content"
TIMEZONE = {timezone!r}
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
ARTICLE_URL = "blog/{{date:%Y}}/{{date:%m}}/{{date:%d}}/{{slug}}/"
ARTICLE_SAVE_AS = "blog/{{date:%Y}}/{{date:%m}}/{{date:%d}}/{{slug}}/index.html"
CATEGORY_URL = "categories/{{slug}}/"
CATEGORY_SAVE_AS = "categories/{{slug}}/index.html"
MARKDOWN = {{
    "extension_configs": {{
        "markdown.extensions.codehilite": {{"css_class": "highlight"}},
        "markdown.extensions.extra": {{}},
        "markdown.extensions.meta": {{}},
        "markdown.extensions.toc": {{"anchorlink": True}},
    }},
    "output_format": "html5",
}}
PLUGINS = []
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""


@dataclass
class PelicanSite:
    folder: Path
    pelican: str
    conf: str  # "own" or "minimal"
    checkout: Path
    built: bool = False

    def prepare(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        shutil.copytree(self.checkout / "content", self.folder / "content")
        if self.conf == "own":
            for name in ("plugins", "themes"):
                if (self.checkout / name).is_dir():
                    shutil.copytree(self.checkout / name, self.folder / name)
            shutil.copy(self.checkout / "pelicanconf.py", self.folder / "pelicanconf.py")
        else:
            settings = {
                "author": pelican_setting(self.checkout, "AUTHOR", "TWiR Contributors"),
                "sitename": pelican_setting(self.checkout, "SITENAME", "This Week in Rust"),
                "timezone": pelican_setting(self.checkout, "TIMEZONE", "UTC"),
            }
            write(self.folder / "pelicanconf.py", MINIMAL_CONF.format(**settings))

    def cold_build(self) -> Run:
        """A cold build. When the first one fails with the checkout's own pelicanconf.py (a
        plugin or its packages missing), the minimal one from then on, saying why."""
        if self.built or self.conf != "own":
            self.built = True
            return self._cold_build()
        self.built = True
        try:
            return self._cold_build()
        except RuntimeError as failed:
            why = str(failed).strip().splitlines()[-1][:200]
            print(f"Pelican with the checkout's own pelicanconf.py failed ({why}); using the minimal one", flush=True)
            self.conf = "minimal"
            self.prepare()
            return self._cold_build()

    def _cold_build(self) -> Run:
        for gone in ("output", "cache", "__pycache__"):
            shutil.rmtree(self.folder / gone, ignore_errors=True)
        return run_child([self.pelican, "content", "-o", str(self.output), "-s", "pelicanconf.py"], cwd=self.folder)

    @property
    def output(self) -> Path:
        return self.folder / "output"


# --- running and reporting -------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def html_files(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html"))


def wall(runs: list[Run]) -> float:
    return statistics.median(run.seconds for run in runs)


def cpu(runs: list[Run]) -> float:
    return statistics.median(run.cpu for run in runs)


def row(name: str, runs: list[Run], output: Path) -> str:
    median, low, high, peak_mib = bench_build.figures(runs)
    return (
        f"{name:<22}{median:8.2f} s{low:8.2f} s{high:8.2f} s{cpu(runs):8.2f} s{peak_mib:7.0f} MiB"
        f"{html_files(output):>7}"
    )


def verdicts(cold: list[Run], pelican: list[Run], no_change: list[Run]) -> list[str]:
    ratio, cpu_ratio = wall(cold) / wall(pelican), cpu(cold) / cpu(pelican)
    return [
        f"Broadsheet cold / Pelican cold: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
        f"(target at most {COLD_TARGET}x: {'met' if ratio <= COLD_TARGET else 'not met'})",
        f"Broadsheet no change: {wall(no_change):.2f} s wall, {cpu(no_change):.2f} s CPU "
        f"(target under {NO_CHANGE_TARGET} s: {'met' if wall(no_change) < NO_CHANGE_TARGET else 'not met'})",
    ]


def measure(checkout: Path, times: int, pelican: str | None, conf: str) -> None:
    with tempfile.TemporaryDirectory(prefix="broadsheet-twir-") as tmp:
        site = Path(tmp) / "broadsheet"
        done = convert(checkout, site)
        sections = ", ".join(f"{name} {count}" for name, count in sorted(done.sections.items()))
        print(f"converted {done.articles} issues ({sections}); skipped {len(done.skipped)}:")
        for rel, why in done.skipped:
            print(f"  {rel}: {why}")
        tools: list[tuple[str, Callable[[], Run]]] = [("Broadsheet cold", lambda: bench_build.cold_build(site))]
        pelican_site = PelicanSite(Path(tmp) / "pelican", pelican, conf, checkout) if pelican else None
        if pelican_site is not None:
            pelican_site.prepare()
            tools.append(("Pelican cold", pelican_site.cold_build))
        tools.append(("Broadsheet no change", lambda: bench_build.warm_build(site)))
        results: dict[str, list[Run]] = {name: [] for name, _ in tools}
        for _ in range(times):
            for name, action in tools:
                results[name].append(action())
        if pelican_site is not None:
            print(f"Pelican configuration: {describe_conf(pelican_site.conf)}")
        print(f"{'':<22}{'median':>10}{'min':>10}{'max':>10}{'CPU':>10}{'peak RSS':>11}{'html':>7}")
        outputs = {"Pelican cold": pelican_site.output if pelican_site else site}
        for name, runs in results.items():
            print(row(name, runs, outputs.get(name, site / "site")), flush=True)
        if pelican_site is not None:
            print(
                "\n".join(
                    verdicts(results["Broadsheet cold"], results["Pelican cold"], results["Broadsheet no change"])
                )
            )


def describe_conf(conf: str) -> str:
    if conf == "own":
        return "the checkout's own pelicanconf.py (theme rusted, plugins webassets and neighbors)"
    return "a minimal pelicanconf.py written by this script (default theme, no plugins)"


def compile_bytecode() -> str:
    """Broadsheet's modules compiled to bytecode, as `pip install` leaves them."""
    spec = importlib.util.find_spec("broadsheet")
    folders = list(spec.submodule_search_locations or []) if spec else []
    done = all(compileall.compile_dir(folder, quiet=1) for folder in folders)
    return f"bytecode: {', '.join(folders) or 'broadsheet not found'} compiled{'' if done else ' (with errors)'}"


def describe_checkout(checkout: Path) -> str:
    found = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True)
    commit = found.stdout.strip() if found.returncode == 0 else "not a git work tree"
    return f"checkout: {checkout} ({commit})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path, help="a checkout of rust-lang/this-week-in-rust")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default: 3)")
    parser.add_argument("--pelican", metavar="PATH", help="the pelican executable (default: pelican on PATH)")
    parser.add_argument(
        "--pelican-conf", choices=("own", "minimal"), default="own", help="Pelican's configuration (default: own)"
    )
    args = parser.parse_args()
    if not (args.checkout / "content").is_dir():
        parser.error(f"{args.checkout}: no content/ folder: not a checkout of this-week-in-rust")
    pelican = find_tool("Pelican", args.pelican)
    print(bench_build.describe_machine())
    print(describe_checkout(args.checkout))
    print(compile_bytecode())
    if pelican:
        version = subprocess.run([pelican, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"Pelican: {version} ({pelican})")
    else:
        print(f"Pelican: not found, skipped; install with: {INSTALL}")
    print(f"{args.repeat} rounds of: Broadsheet cold, Pelican cold, Broadsheet no change", flush=True)
    measure(args.checkout, args.repeat, pelican, args.pelican_conf)


if __name__ == "__main__":
    main()
