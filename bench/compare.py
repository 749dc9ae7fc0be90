"""Cold builds of the same corpus by Broadsheet, Hugo and Pelican, side by side.

    python bench/compare.py 1000 [--repeat 3] [--hugo PATH] [--pelican PATH]

For each size N it writes the deterministic corpus (bench/corpus.py), converts its articles
into a minimal Hugo site and a minimal Pelican site in temporary folders (converters and
templates are all in this file), then times cold builds of the three, one after the other in
each round so that all three see the same load on the machine:

- Broadsheet: `python -m broadsheet build --site DIR [--quiet]`, output and cache removed first;
- Hugo: `hugo --quiet -d OUT` with a fresh OUT, no resources/ folder and an empty cache folder;
- Pelican: `pelican content -o OUT -s pelicanconf.py` with a fresh OUT and its cache off.

Hugo is found on PATH (Debian: `apt-get install -y hugo`) or given with --hugo; Pelican on PATH
or given with --pelican (install it in a venv of its own, never in Broadsheet's). A tool that is
missing is skipped with a line saying how to install it. Each tool is run as a whole process;
the figures are wall time, CPU time (the median of user + sys of the process and
what it waited for) and the child's peak RSS. The three do not make the same pages
(Broadsheet also writes feeds per tag and source, sitemaps and a search index), so the HTML
file count of each output is printed beside its time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml

import build as bench_build
from build import Run, run_child

from corpus import write_corpus

TITLE = "Bench Digest"
BASE_URL = "https://example.org/"
TIMEZONE = "Europe/London"
PER_PAGE = 10

INSTALL = {
    "Hugo": "apt-get install -y hugo (Debian, Ubuntu), brew install hugo (macOS), "
    "or a release from https://github.com/gohugoio/hugo/releases; or pass --hugo PATH",
    "Pelican": "python3 -m venv /tmp/pelican-venv && /tmp/pelican-venv/bin/pip install pelican markdown, "
    "then pass --pelican /tmp/pelican-venv/bin/pelican",
}


# --- the corpus, read back -------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    path: Path  # relative to content/, e.g. world/article-00001.md
    section: str
    title: str
    date: datetime  # naive, in the site's time zone
    tags: list[str]
    authors: list[str]
    summary: str
    body: str


def read_article(content: Path, path: Path) -> Article:
    text = path.read_text(encoding="utf-8")
    end = text.index("\n---\n", 4)
    meta = yaml.safe_load(text[4:end])
    relative = path.relative_to(content)
    return Article(
        path=relative,
        section=relative.parts[0],
        title=str(meta["title"]),
        date=parse_date(meta["date"]),
        tags=list(meta.get("tags", [])),
        authors=list(meta.get("authors", [])),
        summary=str(meta.get("summary", "")),
        body=text[end + 5 :],
    )


def parse_date(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.strptime(str(value), "%Y-%m-%d %H:%M")


def read_corpus(site: Path) -> list[Article]:
    content = site / "content"
    return [read_article(content, path) for path in sorted(content.rglob("*.md"))]


# --- Hugo ------------------------------------------------------------------------------

HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title></head>
<body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav>{{ range site.Sections }}<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}</nav></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "_default/single.html": """{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05-07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ range .GetTerms "authors" }} · <a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>
{{ .Content }}
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range (.Paginate .Pages).Pages }}{{ partial "item.html" . }}{{ end }}
{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "_default/taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
""",
    "_default/term.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range (.Paginate .Pages).Pages }}{{ partial "item.html" . }}{{ end }}
{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ site.Title }}</h1>
{{ range (.Paginate site.RegularPages).Pages }}{{ partial "item.html" . }}{{ end }}
{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "partials/item.html": """<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
<p>{{ .Summary }}</p></article>
""",
}


def hugo_version(hugo: str) -> tuple[int, int]:
    found = re.search(r"v(\d+)\.(\d+)", subprocess.run([hugo, "version"], capture_output=True, text=True).stdout)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def hugo_config(version: tuple[int, int]) -> str:
    paging = f"[pagination]\npagerSize = {PER_PAGE}\n" if version >= (0, 128) else f"paginate = {PER_PAGE}\n"
    return (
        f'baseURL = "{BASE_URL}"\ntitle = "{TITLE}"\nlanguageCode = "en"\ntimeZone = "{TIMEZONE}"\n'
        + paging
        + '[taxonomies]\ntag = "tags"\nauthor = "authors"\n'
    )


def hugo_article(article: Article) -> str:
    front = {
        "title": article.title,
        "date": article.date.strftime("%Y-%m-%dT%H:%M:%S"),
        "tags": article.tags,
        "authors": article.authors,
        "summary": article.summary,
    }
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n" + article.body


def write_hugo_site(folder: Path, articles: list[Article], hugo: str) -> None:
    (folder / "hugo.toml").parent.mkdir(parents=True, exist_ok=True)
    (folder / "hugo.toml").write_text(hugo_config(hugo_version(hugo)), encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        write(folder / "layouts" / name, text)
    for article in articles:
        write(folder / "content" / article.path, hugo_article(article))


def hugo_cold_build(folder: Path, hugo: str) -> Run:
    out, cache = folder / "public", folder / "hugo-cache"
    for gone in (out, cache, folder / "resources"):
        shutil.rmtree(gone, ignore_errors=True)
    cache.mkdir()
    return run_child([hugo, "--quiet", "-d", str(out), "--cacheDir", str(cache)], cwd=folder)


# --- Pelican ---------------------------------------------------------------------------

PELICAN_CONF = f"""AUTHOR = "Bench"
SITENAME = "{TITLE}"
SITEURL = ""
PATH = "content"
TIMEZONE = "{TIMEZONE}"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = {PER_PAGE}
# Pelican's default pattern saves page 2 of "topic 18" as topic-182.html, page 1 of "topic 182".
PAGINATION_PATTERNS = (
    (1, "{{url}}", "{{save_as}}"),
    (2, "{{base_name}}/page/{{number}}/", "{{base_name}}/page/{{number}}/index.html"),
)
PLUGINS = []
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""


def pelican_article(article: Article) -> str:
    header = [
        f"Title: {article.title}",
        f"Date: {article.date:%Y-%m-%d %H:%M}",
        f"Tags: {', '.join(article.tags)}",
        f"Category: {article.section}",
        f"Summary: {article.summary}",
        f"Authors: {', '.join(article.authors)}",
    ]
    return "\n".join(header) + "\n\n" + article.body


def write_pelican_site(folder: Path, articles: list[Article]) -> None:
    write(folder / "pelicanconf.py", PELICAN_CONF)
    for article in articles:
        write(folder / "content" / article.path, pelican_article(article))


def pelican_cold_build(folder: Path, pelican: str) -> Run:
    out = folder / "output"
    for gone in (out, folder / "cache", folder / "__pycache__"):
        shutil.rmtree(gone, ignore_errors=True)
    return run_child([pelican, "content", "-o", str(out), "-s", "pelicanconf.py"], cwd=folder)


# --- running and reporting -------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    name: str
    build: Callable[[], Run]  # one cold build
    output: Path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def find_tool(name: str, given: str | None) -> str | None:
    """The tool's executable as an absolute path (the builds run in other folders, so
    `make bench`'s `.venv-pelican/bin/pelican` would not be found from there), or None."""
    if given:
        return str(Path(given).resolve()) if Path(given).is_file() else shutil.which(given)
    return shutil.which(name.lower())


def tools_for(root: Path, site: Path, hugo: str | None, pelican: str | None) -> list[Tool]:
    tools = [Tool("Broadsheet", lambda: bench_build.cold_build(site), site / "site")]
    articles = read_corpus(site) if hugo or pelican else []
    if hugo:
        write_hugo_site(root / "hugo", articles, hugo)
        tools.append(Tool("Hugo", lambda: hugo_cold_build(root / "hugo", hugo), root / "hugo/public"))
    if pelican:
        write_pelican_site(root / "pelican", articles)
        tools.append(Tool("Pelican", lambda: pelican_cold_build(root / "pelican", pelican), root / "pelican/output"))
    return tools


def html_files(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html"))


def row(n: int, tool: Tool, runs: list[Run]) -> str:
    median, low, high, peak_mib = bench_build.figures(runs)
    cpu = statistics.median(run.cpu for run in runs)
    return (
        f"{n:>8}  {tool.name:<11}{median:8.2f} s{low:8.2f} s{high:8.2f} s{cpu:8.2f} s{peak_mib:8.0f} MiB"
        f"{html_files(tool.output):>10}"
    )


def ratios(results: dict[str, list[Run]]) -> str:
    """Broadsheet's median against each other tool's: wall time, and CPU time (which the
    other load on a shared machine disturbs less; Hugo spreads its work over threads,
    Broadsheet over processes, Pelican does not)."""
    walls = {name: statistics.median(run.seconds for run in runs) for name, runs in results.items()}
    cpus = {name: statistics.median(run.cpu for run in runs) for name, runs in results.items()}
    ours, our_cpu = walls.pop("Broadsheet"), cpus.pop("Broadsheet")
    if not walls:
        return f"Broadsheet {ours:.2f} s (no other tool to compare with)"
    return f"Broadsheet {ours:.2f} s = " + ", ".join(
        f"{ours / theirs:.2f}x {name} (CPU {our_cpu / cpus[name]:.2f}x)" for name, theirs in walls.items()
    )


def measure(n: int, times: int, hugo: str | None, pelican: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="broadsheet-compare-") as tmp:
        root = Path(tmp)
        write_corpus(root / "broadsheet", n)
        tools = tools_for(root, root / "broadsheet", hugo, pelican)
        results: dict[str, list[Run]] = {tool.name: [] for tool in tools}
        for _ in range(times):  # one round = one cold build of each, back to back
            for tool in tools:
                results[tool.name].append(tool.build())
        for tool in tools:
            print(row(n, tool, results[tool.name]))
        print(f"{'':>8}  {ratios(results)}", flush=True)


def version_of(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    return (result.stdout.strip() or result.stderr.strip()).splitlines()[0]


def describe(hugo: str | None, pelican: str | None) -> None:
    print(bench_build.describe_machine())
    for name, path, flag in (("Hugo", hugo, "version"), ("Pelican", pelican, "--version")):
        if path:
            print(f"{name}: {version_of([path, flag])} ({path})")
        else:
            print(f"{name}: not found, skipped; install with: {INSTALL[name]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000], help="corpus sizes (default: 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="cold builds of each tool (default: 3)")
    parser.add_argument("--hugo", metavar="PATH", help="the hugo executable (default: hugo on PATH)")
    parser.add_argument("--pelican", metavar="PATH", help="the pelican executable (default: pelican on PATH)")
    args = parser.parse_args()
    hugo, pelican = find_tool("Hugo", args.hugo), find_tool("Pelican", args.pelican)
    describe(hugo, pelican)
    print(f"cold builds, {args.repeat} rounds; html = HTML files in the output")
    print(
        f"{'articles':>8}  {'tool':<11}{'median':>10}{'min':>10}{'max':>10}{'CPU':>10}{'peak RSS':>12}{'html':>10}",
        flush=True,
    )
    for n in args.sizes:
        measure(n, args.repeat, hugo, pelican)


if __name__ == "__main__":
    main()
