"""Bad input to `broadsheet import`: each bad source gets a one-line reason and nothing
written for it, the good sources beside it are imported, and the exit code is 1."""

from __future__ import annotations

import pytest

from conftest import SETTINGS, run_cli

GOOD = "A bridge opens after years of delay\n\nThe minister said on Tuesday that the new bridge would open in spring after years of delay.\n\nOfficials said the cost had doubled since work began.\n"
BAD = {
    "empty": (b"", "empty file"),
    "blank": (b"  \n\n\t\n", "empty file"),
    "navigation": (b"Skip to content\nHome\nMenu\nShare\n", "no headline found"),
    "binary": (bytes(range(256)) * 8, "binary file"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_source_is_refused_in_one_line_and_the_others_imported(make_site, tmp_path, name):
    data, reason = BAD[name]
    site = make_site({}, settings=SETTINGS)
    bad, good = tmp_path / f"{name}.txt", tmp_path / "good.txt"
    bad.write_bytes(data)
    good.write_text(GOOD, encoding="utf-8")
    result = run_cli("import", "--site", site, bad, good)
    assert result.code == 1
    [line] = [x for x in result.err.splitlines() if x.startswith(str(bad))]
    assert reason in line and ": error: " in line
    assert "Traceback" not in result.err
    written = sorted(p.name for p in (site / "content").rglob("*.md"))
    assert written == ["a-bridge-opens-after-years-of-delay.md"]
    assert "Imported 1 article, skipped 0, failed 1." in result.out


def test_a_page_over_the_size_cap_is_refused(make_site, tmp_path):
    site = make_site({}, settings=SETTINGS)
    big, good = tmp_path / "big.txt", tmp_path / "good.txt"
    big.write_text("A headline\n\n" + "A sentence of the story goes here. " * 400_000, encoding="utf-8")  # 14 MB
    good.write_text(GOOD, encoding="utf-8")
    result = run_cli("import", "--site", site, big, good)
    assert result.code == 1
    assert f"{big}: error: file is over the 10 MiB limit" in result.err.splitlines()
    assert sorted(p.name for p in (site / "content").rglob("*.md")) == ["a-bridge-opens-after-years-of-delay.md"]
