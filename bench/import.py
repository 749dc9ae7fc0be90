"""How well `broadsheet import` reads pasted pages it was not written for: per-field accuracy.

    python bench/import.py [-v]

Runs the real command (a child process, into a fresh temporary site per page) on every page of
tests/importer/corpus/, compares each field of the draft with the page's NAME.expected.yaml,
and prints the share of pages with each field right, for the `develop` and `held_out` halves
(corpus/halves.yaml) separately, then the share of pages with every field right; and for the
rounds of pages (`fresh` ... `eighth`, as halves.yaml lists them), written after the importer by people who had not read it. With -v it
also lists each wrong field with what the draft had.

When ../shared/seed/ holds the user's reference page (moscow-times-putin-nato.txt), it is
imported too and checked against SEED below. That page stays outside the repository: SEED holds
only what issue 16 quotes, and reads the headline and the lede from the page itself by their
place (the lines just above and below the photo line), so no sentence of it is copied here.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "importer" / "corpus"
SEED_PAGE = REPO.parent / "shared" / "seed" / "moscow-times-putin-nato.txt"
FIELDS = (
    "title",
    "first",
    "last",
    "after_interruption",
    "boilerplate",
    "caption",
    "credit",
    "date",
    "authors",
    "outlet",
)
# UTC, so a dateline in any zone keeps its calendar day unless it is near midnight.
SETTINGS = "title: Import bench\nbase_url: https://example.org/\ntimezone: UTC\n"

SEED_PHOTO_LINE = "Vladimir Putin. Alexander Demianchuk / TASS"
SEED = {  # issue 16, "Done when"; None: not checked (the page gives no date or byline)
    "last": "according to local officials.",
    "after_interruption": None,
    "boilerplate": [
        "Support The Moscow Times!", "newsletter", "We are facing unprecedented challenges",
        "support us monthly", "paiment methods", "Not ready to support today?", "\n\nOnce\n\n",
    ],
    "caption": "Vladimir Putin.",
    "credit": "Alexander Demianchuk / TASS",
    "date": None,
    "authors": None,
    "outlet": "The Moscow Times",
}  # fmt: skip


def norm(text: object) -> str:
    return " ".join(str(text or "").split())


def seed_expectations(page: Path) -> dict:
    """SEED plus the headline and lede, found by their place around the photo line."""
    lines = [line.strip() for line in page.read_text(encoding="utf-8").splitlines() if line.strip()]
    at = lines.index(SEED_PHOTO_LINE)
    first_sentence = lines[at + 1].split(". ")[0]  # the lede's first sentence is enough
    return {**SEED, "title": lines[at - 1], "first": first_sentence, "last": SEED["last"]}


def run_import(page: Path) -> tuple[dict | None, str, str]:
    """Import one page into a fresh site: (front matter, body, problem) - front matter None on failure."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        (site / "broadsheet.yaml").write_text(SETTINGS, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        cmd = [sys.executable, "-m", "broadsheet", "import", "--site", str(site), str(page)]
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
        # "could not be read (XError: ...)" is the command's catch-all for an unexpected exception
        crashed = "Traceback" in result.stderr or re.search(
            r"could not be read \(\w+(Error|Exception)\b", result.stderr
        )
        if result.returncode not in (0, 1) or crashed:
            return None, "", f"crashed (exit {result.returncode}): {result.stderr.strip()[-300:]}"
        drafts = sorted((site / "content").rglob("*.md"))
        if result.returncode != 0 or len(drafts) != 1:
            return None, "", f"no draft (exit {result.returncode}): {result.stderr.strip()[:300]}"
        _, front, body = drafts[0].read_text(encoding="utf-8").split("---\n", 2)
        return yaml.safe_load(front), body, ""


def outlet_of(fm: dict) -> str:
    source = fm.get("source") or ""
    return source.get("name", "") if isinstance(source, dict) else str(source)


def check(fm: dict, body: str, want: dict) -> dict[str, tuple[bool | None, str]]:
    """Each field: (right, what the draft had); right is None when the field is not checked."""
    paragraphs = [norm(p) for p in body.split("\n\n") if p.strip()] or [""]
    image = (fm.get("imported") or {}).get("image") or {}
    padded = "\n\n" + body.strip() + "\n\n"  # so "\n\nOnce\n\n" means a paragraph that is just "Once"
    leaks = [
        words
        for words in want["boilerplate"] or []
        if words in padded or (words.strip() == words and norm(words) in norm(body))
    ]
    got = {
        "title": (norm(fm.get("title")) == norm(want["title"]), norm(fm.get("title"))),
        "first": (norm(want["first"]) in paragraphs[0], paragraphs[0][:100]),
        "last": (paragraphs[-1].endswith(norm(want["last"])), paragraphs[-1][-100:]),
        "after_interruption": (norm(want["after_interruption"]) in paragraphs, "not a paragraph of its own"),
        "boilerplate": (not leaks, f"left in: {leaks}"),
        "caption": (norm(image.get("caption")) == norm(want["caption"]), norm(image.get("caption"))),
        "credit": (norm(image.get("credit")) == norm(want["credit"]), norm(image.get("credit"))),
        "date": (str(fm.get("date", "")).startswith(str(want["date"])), str(fm.get("date", ""))),
        "authors": ([norm(a) for a in fm.get("authors") or []] == [norm(a) for a in want["authors"] or []], str(fm.get("authors"))),
        "outlet": (norm(outlet_of(fm)) == norm(want["outlet"]), outlet_of(fm)),
    }  # fmt: skip
    # no photo on the page (caption and credit null): right when the draft has none either
    checked = {"caption", "credit"} if want.get("caption") is None and want.get("credit") is None else set()
    return {field: got[field] if field in checked or want.get(field) is not None else (None, "") for field in FIELDS}


def measure(page: Path, want: dict) -> tuple[dict[str, tuple[bool | None, str]], str]:
    fm, body, problem = run_import(page)
    if fm is None:
        return {field: (False if want.get(field) is not None else None, problem) for field in FIELDS}, problem
    return check(fm, body, want), ""


def report(name: str, results: dict[str, dict[str, tuple[bool | None, str]]]) -> None:
    n = len(results)
    print(f"\n{name}: {n} pages")
    for field in FIELDS:
        marks = [r[field][0] for r in results.values() if r[field][0] is not None]
        share = f"{sum(marks)}/{len(marks)} ({100 * sum(marks) / len(marks):.0f}%)" if marks else "n/a"
        print(f"  {field:<20} {share}")
    whole = sum(all(ok is not False for ok, _ in r.values()) for r in results.values())
    print(f"  {'every field right':<20} {whole}/{n} ({100 * whole / n:.0f}%)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list each wrong field")
    halves = yaml.safe_load((CORPUS / "halves.yaml").read_text(encoding="utf-8"))  # rounds in the order written
    parser.add_argument(
        "--half", choices=list(halves), help="only this half (and the seed): develop without seeing the held-out pages"
    )
    args = parser.parse_args()
    crashes = []
    for half in (args.half,) if args.half else list(halves):
        results = {}
        for name in halves[half]:
            want = yaml.safe_load((CORPUS / f"{name}.expected.yaml").read_text(encoding="utf-8"))
            results[name], problem = measure(CORPUS / f"{name}.txt", want)
            if problem.startswith("crashed"):
                crashes.append(f"{name}: {problem}")
        report(half, results)
        if args.verbose:
            print_wrong(results)
    if SEED_PAGE.is_file():
        seed, _ = measure(SEED_PAGE, seed_expectations(SEED_PAGE))
        report("seed (../shared/seed/moscow-times-putin-nato.txt)", {"seed": seed})
        if args.verbose:
            print_wrong({"seed": seed})
    for line in crashes:
        print(f"CRASH {line}")
    return 0


def print_wrong(results: dict[str, dict[str, tuple[bool | None, str]]]) -> None:
    for name, fields in results.items():
        for field, (ok, had) in fields.items():
            if ok is False:
                print(f"    {name}: {field}: {had}")


if __name__ == "__main__":
    sys.exit(main())
