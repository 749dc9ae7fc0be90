"""`broadsheet drafts` on real site folders: the drafts, newest first, in aligned columns;
the same articles `build --drafts` adds; a broken draft named with its problem, exit 1."""

from __future__ import annotations

from conftest import article, run_cli, write_tree


def test_drafts_are_listed_newest_first_in_aligned_columns(make_site):
    site = make_site(
        {
            "content/world/old.md": article(
                "An older draft",
                "2025-06-01 09:00",
                draft="true",
                source="{name: Wire Service, url: https://wire.example/a}",
            ),
            "content/new.md": article(
                "The newest draft with a longer title", "2025-06-03 18:30", draft="true", source="{name: The Gazette}"
            ),
            "content/plain.md": article("Published already", "2025-06-02"),
            "content/mid.md": article("日本語の見出し", "2025-06-02 12:00", draft="true"),
        }
    )
    result = run_cli("drafts", "--site", site)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert [line.split("  ")[0] for line in lines] == [
        "The newest draft with a longer title",
        "日本語の見出し",
        "An older draft",
    ]
    assert "The Gazette" in lines[0] and "2025-06-03 18:30" in lines[0] and lines[0].endswith("content/new.md")
    assert "Wire Service" in lines[2] and lines[2].endswith("content/world/old.md")
    assert " -  " in lines[1]  # no outlet
    assert "Published already" not in result.out
    # aligned: the date column starts at the same terminal column on every line (a CJK letter is two wide)
    assert len({_columns(line[: line.index("2025-")]) for line in lines}) == 1


def _columns(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_the_listing_agrees_with_build_drafts(make_site):
    site = make_site(
        {
            "content/a.md": article("Draft A", "2025-06-01", draft="true"),
            "content/b.md": article("Draft B", "2025-06-02", draft="yes"),
            "content/c.md": article("Not a draft", "2025-06-02", draft="false"),
        }
    )
    listed = run_cli("drafts", "--site", site).out
    assert "Draft A" in listed and "Draft B" in listed and "Not a draft" not in listed
    build = run_cli("build", "--drafts", "--no-cache", "--site", site)
    assert build.code == 0, build.err
    assert "Built 3 articles" in build.out


def test_no_drafts(make_site):
    site = make_site({"content/a.md": article("Published", "2025-06-01")})
    result = run_cli("drafts", "--site", site)
    assert (result.code, result.out, result.err) == (0, "No drafts.\n", "")


def test_a_broken_draft_is_listed_with_its_problem(make_site):
    site = make_site(
        {
            "content/good.md": article("A good draft", "2025-06-01", draft="true"),
            "content/broken.md": "---\ntitle: Half done\ndraft: true\ndate: next tuesday\n---\nBody.\n",
            "content/broken-not-draft.md": "---\ntitle: Other\ndate: someday\n---\nBody.\n",
        }
    )
    result = run_cli("drafts", "--site", site)
    assert result.code == 1
    assert "Traceback" not in result.err
    [good, broken] = result.out.splitlines()
    assert good.startswith("A good draft") and broken.endswith("content/broken.md")
    [problem] = result.err.splitlines()
    assert "broken.md:4: date: " in problem


def test_a_draft_file_that_is_not_utf8_is_reported_not_crashed(make_site):
    site = make_site({})
    write_tree(
        site, {"content/bad.md": "---\ntitle: Caf\u00e9\ndraft: true\ndate: 2025-06-01\n---\nBody.\n".encode("latin-1")}
    )
    result = run_cli("drafts", "--site", site)
    assert result.code == 1 and "Traceback" not in result.err
    assert "content/bad.md" in result.out and "bad.md:" in result.err
