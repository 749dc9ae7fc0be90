"""What a caller asks of a build, and what it gets back: plain records that the command
line, the dev server and `check` share with the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from broadsheet.problems import Problem, errors


@dataclass(frozen=True)
class BuildRequest:
    site_dir: Path
    output: Path | None = None  # default: <site>/site
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    now: datetime | None = None
    explain: bool = False  # fill the report's sources and article HTML (for check): never skips the work
    replace_output: bool = False  # the output may be a folder of files Broadsheet did not make: replace them
    strict: bool = False  # a warning fails the build as an error does: nothing is written (--strict, for CI)

    @property
    def output_dir(self) -> Path:
        return (self.output or self.site_dir / "site").absolute()


@dataclass(frozen=True)
class Due:
    """The next future-dated article a build left out: when it comes out, and which it is."""

    when: datetime
    title: str
    path: str  # its content file


@dataclass
class BuildReport:
    problems: list[Problem]
    articles: int = 0
    pages: int = 0
    parsed: int = 0  # article files parsed by this build; the others came from the cache
    rendered: int = 0  # pages rendered by this build; the others were unchanged
    changed: tuple[str, ...] = ()  # output files whose bytes changed
    removed: tuple[str, ...] = ()  # output files that are gone
    stages: dict[str, float] = field(default_factory=dict)  # seconds each stage took
    seconds: float = 0.0
    output: Path | None = None
    base_url: str = ""  # as built, after --base-url
    opens_from_disk: bool = False  # built with relative_urls: true, so its index.html opens as a file
    sources: dict[str, str] = field(default_factory=dict)  # output file -> the file it came from, for `check`
    # content file -> its body and summary HTML, for `check`
    article_html: dict[str, tuple[str, str]] = field(default_factory=dict)
    # site path ("/2025/06/19/slug/") -> content file of each article: what publish records
    urls: dict[str, str] = field(default_factory=dict)
    next_due: Due | None = None  # the next future-dated article left out, if any

    @property
    def written(self) -> int:
        return len(self.changed)

    @property
    def ok(self) -> bool:
        return not errors(self.problems)
