"""The import corpus (tests/importer/corpus/) is a sound measuring instrument for bench/import.py.

Accuracy is measured by bench/import.py, never asserted here; these tests check that every page
has a well-formed expectations file whose strings are really on the page, that the two halves
cover every page exactly once, and that the importer never crashes on a page.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from conftest import run_cli

CORPUS = Path(__file__).resolve().parent / "corpus"
PAGES = sorted(p.stem for p in CORPUS.glob("*.txt"))
TEXT_FIELDS = ("title", "first", "last", "after_interruption", "caption", "credit", "outlet")
KEYS = {*TEXT_FIELDS, "boilerplate", "date", "authors"}
SEED = (
    Path(__file__).resolve().parents[3] / "shared" / "seed" / "moscow-times-putin-nato.txt"
)  # the user's own, never copied
SETTINGS = "title: Corpus\nbase_url: https://example.org/\ntimezone: UTC\n"


def norm(text: str) -> str:
    return " ".join(text.split())


def expectations(name: str) -> dict:
    return yaml.safe_load((CORPUS / f"{name}.expected.yaml").read_text(encoding="utf-8"))


def test_the_corpus_is_large_and_varied_enough():
    layouts = {name.rsplit("-", 1)[0] for name in PAGES}
    scripts = {
        "cyrillic" if re.search("[а-яіїєґ]", (CORPUS / f"{n}.txt").read_text(encoding="utf-8")) else "latin"
        for n in PAGES
    }
    assert len(PAGES) >= 24 and len(layouts) >= 12 and scripts == {"cyrillic", "latin"}
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(
        ["halves.yaml", *(f"{n}.txt" for n in PAGES), *(f"{n}.expected.yaml" for n in PAGES)]
    )


@pytest.mark.parametrize("name", PAGES)
def test_expectations_are_well_formed_and_taken_from_the_page(name):
    want = expectations(name)
    page = norm((CORPUS / f"{name}.txt").read_text(encoding="utf-8"))
    assert set(want) == KEYS, f"{name}: keys {sorted(set(want) ^ KEYS)}"
    if want["caption"] is None and want["credit"] is None:  # a page without a photo (an agency's brief)
        want = {**want, "caption": want["title"], "credit": want["title"]}
    for field in TEXT_FIELDS:
        assert isinstance(want[field], str) and want[field].strip(), f"{name}: {field}"
        if field != "outlet":  # the outlet may be spelt differently on the page (a banner in capitals)
            assert norm(want[field]) in page, f"{name}: {field} is not on the page"
    assert isinstance(want["boilerplate"], list) and want["boilerplate"], f"{name}: boilerplate"
    for words in want["boilerplate"]:
        assert isinstance(words, str) and norm(words) in page, f"{name}: boilerplate {words!r} is not on the page"
        assert norm(words) not in " ".join(norm(want[f]) for f in ("first", "last", "after_interruption")), (
            f"{name}: {words!r} is in the story"
        )
    assert date.fromisoformat(want["date"]), f"{name}: date"
    assert isinstance(want["authors"], list) and all(isinstance(a, str) and a for a in want["authors"]), (
        f"{name}: authors"
    )


def test_the_halves_cover_every_page_once_and_every_layout_on_both_sides():
    halves = yaml.safe_load((CORPUS / "halves.yaml").read_text(encoding="utf-8"))
    assert list(halves)[:2] == ["develop", "held_out"]  # then the rounds written later, each measured once
    listed = [name for half in halves.values() for name in half]
    assert sorted(listed) == PAGES, "every page in exactly one half"
    layouts = [{name.rsplit("-", 1)[0] for name in halves[half]} for half in ("develop", "held_out")]
    assert layouts[0] == layouts[1], "each layout has a page in each half"


@pytest.mark.parametrize("page", [CORPUS / f"{name}.txt" for name in PAGES] + [SEED], ids=[*PAGES, "seed"])
def test_the_importer_never_crashes_on_a_corpus_page(make_site, page):
    if not page.is_file():
        pytest.skip(f"{page} is not on this machine (the user's reference page stays outside the project)")
    site = make_site({}, settings=SETTINGS)
    result = run_cli("import", "--site", site, page)
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.err + result.out
    # the command turns an unexpected exception into this one-line failure: still a crash of ours
    assert not re.search(r"could not be read \(\w+(Error|Exception)\b", result.err), result.err
