"""Saved pages in a legacy charset import as the page declares it, through public API only
(the importer once called a trafilatura helper outside its API, a TypeError before 2.3)."""

from __future__ import annotations

from pathlib import Path

from conftest import SETTINGS, run_cli

SAMPLES = Path(__file__).parent / "samples"
HEADLINE = "Ночные автобусы возвращаются в гавань"


def _page(charset: str) -> str:
    page = (SAMPLES / "harbour-page.html").read_text(encoding="utf-8")
    page = page.replace('<meta charset="utf-8">', f'<meta charset="{charset}">')
    return page.replace("Night buses return to the harbour route", HEADLINE)


def test_a_saved_page_in_its_declared_legacy_charset_imports_with_its_own_letters(make_site, tmp_path):
    site = make_site({}, settings=SETTINGS)
    saved = tmp_path / "bus.html"
    saved.write_bytes(_page("windows-1251").encode("cp1251"))
    result = run_cli("import", "--site", site, saved)
    assert result.code == 0, result.err
    [draft] = (site / "content").rglob("*.md")
    assert f"title: {HEADLINE}" in draft.read_text(encoding="utf-8")


def test_a_utf8_page_and_pasted_text_import_as_before(make_site, tmp_path):
    site = make_site({}, settings=SETTINGS)
    saved, text = tmp_path / "bus.html", tmp_path / "ferry.txt"
    saved.write_text(_page("utf-8"), encoding="utf-8")
    text.write_bytes((SAMPLES / "ferry.txt").read_bytes())
    result = run_cli("import", "--site", site, saved, text)
    assert result.code == 0, result.err
    assert len(list((site / "content").rglob("*.md"))) == 2
