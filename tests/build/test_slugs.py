"""Slugs and output paths: every name becomes a URL any machine can write, the same on
every machine; distinct names never share a URL; impossible names are errors that say
where they came from, found before anything is written."""

import os
import subprocess
import sys

from conftest import REPO, SETTINGS, article, run_cli, tree_bytes


def folders(root, under):
    return sorted(p.name for p in (root / under).iterdir() if p.is_dir())


def test_long_names_from_a_feed_build_with_short_distinct_urls(make_site):
    """A 325-character author (as an imported feed brings) crashed the build; it builds,
    and two long names sharing a long beginning keep apart."""
    long_author, other_author = "B" * 325, "B" * 300 + " Jr"
    long_tag = "Very long tag " * 30
    site = make_site({
        "content/a.md": article("A", "2025-06-19", authors=f"[{long_author}]", tags=f"['{long_tag}']", section="'" + "Section " * 40 + "'"),
        "content/b.md": article("B", "2025-06-18", authors=f"[{other_author}]", source="'" + "Source " * 50 + "'"),
    })  # fmt: skip
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    for kind in ("authors", "tags", "sections", "sources"):
        assert all(len(name) <= 100 for name in folders(site / "site", kind)), kind
    authors = folders(site / "site", "authors")
    assert len(authors) == 2 and authors[0][:80] == authors[1][:80]
    again = run_cli("build", "--site", site, "--output", site / "again")
    assert again.code == 0 and tree_bytes(site / "again") == tree_bytes(site / "site")


def test_an_impossible_explicit_slug_is_an_error_at_its_line(make_site):
    """An explicit slug is the editor's choice of URL: never shortened or changed quietly."""
    site = make_site({
        "content/a.md": article("A", "2025-06-19", slug="a" * 281),
        "content/b.md": article("B", "2025-06-19", draft="false", slug="con"),
    })  # fmt: skip
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "content/a.md:4: slug: is 281 characters, over the file system's limit of 255" in result.err
    assert "content/b.md:5: slug: 'con' is a name Windows keeps for a device" in result.err
    assert "Traceback" not in result.err
    assert sorted(p.name for p in site.iterdir()) == ["broadsheet.yaml", "content"]


def test_names_windows_keeps_for_devices_never_become_folders(make_site):
    """`con`, `aux`, `nul`, `com1`: a site built on Linux must build the same on Windows."""
    site = make_site(
        {
            "content/a.md": article(
                "Con", "2025-06-19", tags="[Aux, nul]", authors="[COM1]", section="LPT9", source="Prn"
            )
        }
    )
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    made = [p.relative_to(site / "site").as_posix() for p in (site / "site").rglob("*")]
    devices = {"con", "aux", "nul", "com1", "lpt9", "prn"}
    assert not [path for path in made if any(part.split(".")[0] in devices for part in path.split("/"))]
    assert (site / "site/tags").is_dir() and any(name.startswith("aux-") for name in folders(site / "site", "tags"))
    assert any(name.startswith("con-") for name in folders(site / "site", "2025/06/19"))


def test_folders_of_article_url_and_files_no_machine_takes_are_errors(make_site):
    settings = SETTINGS + "article_url: /aux/{slug}/\n"
    result = run_cli("build", "--site", make_site({"content/a.md": article("A", "2025-06-19")}, settings))
    assert result.code == 1
    assert "broadsheet.yaml:4: article_url: 'aux' is not a folder name every machine takes" in result.err
    site = make_site(
        {
            "content/a.md": article("A", "2025-06-19"),
            "content/b/index.md": article("B", "2025-06-19"),
            "content/b/con.png": b"x",
            "static/notes.": "x",
        },
        SETTINGS,
    )
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert (
        "content/b/con.png: its output file 2025/06/19/b/con.png has a name Windows keeps for a device ('con.png')"
        in result.err
    )
    assert "static/notes.: its output file notes. has a name ending in a dot or a space" in result.err
    assert not (site / "site").exists()


def test_a_path_too_long_for_the_output_folder_is_an_error_before_anything_is_written(make_site, tmp_path):
    """Linux takes 4,095 bytes for a whole path: the output folder's own path counts."""
    site = make_site({"content/a.md": article("A story with a title long enough to make a long slug", "2025-06-19")})
    deep = tmp_path  # made 4,050 bytes long, wherever the temporary folders are: room for the
    while len(os.fsencode(deep)) < 4050:  # output folder itself, none for its pages
        deep = deep / ("d" * max(1, min(200, 4050 - len(os.fsencode(deep)) - 1)))
    deep.mkdir(parents=True)
    output = deep / "out"
    result = run_cli("build", "--site", site, "--output", output)
    assert result.code == 1
    assert (
        "content/a.md: slug: its page 2025/06/19/a-story-with-a-title-long-enough-to-make-a-long-slug/index.html is"
        in result.err
    )
    assert "bytes long inside the output folder, over the file system's limit of 4095" in result.err
    assert "Traceback" not in result.err and not output.exists()


def test_c_cpp_and_csharp_are_three_tags_and_case_or_unicode_form_is_one(make_site):
    """`C`, `C++` and `C#` were merged into one tag `C`; `NATO`/`nato` and `Café` written
    in either Unicode form stay one."""
    site = make_site({
        "content/a.md": article("A", "2025-06-19", tags="[C, C++, 'C#', NATO, Café]", authors="[C++]"),
        "content/b.md": article("B", "2025-06-18", tags="[c, nato, 'Cafe\u0301']", authors="[C]"),
    })  # fmt: skip
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert folders(site / "site", "tags") == ["c", "c-plus-plus", "c-sharp", "cafe", "nato"]
    assert folders(site / "site", "authors") == ["c", "c-plus-plus"]
    cpp = (site / "site/tags/c-plus-plus/index.html").read_text()
    assert "2025/06/19/a/" in cpp and "2025/06/18/b/" not in cpp
    both = (site / "site/tags/c/index.html").read_text()
    assert "2025/06/19/a/" in both and "2025/06/18/b/" in both


def test_names_that_still_make_one_slug_get_urls_decided_by_the_names_alone(make_site, tmp_path):
    """`Interest Rates` and `Interest-Rates` are two tags: the one spelled like the URL keeps
    it, the other adds a hash of its own name, whatever the files are called or hold."""
    first = {
        "content/a.md": article("A", "2025-06-19", tags="[Interest-Rates]"),
        "content/b.md": article("B", "2025-06-18", tags="[Interest Rates]"),
    }
    site = make_site(first)
    assert run_cli("build", "--site", site).code == 0
    urls = folders(site / "site", "tags")
    assert urls[0] == "interest-rates" and urls[1].startswith("interest-rates-") and len(urls) == 2
    assert "2025/06/18/b/" in (site / "site/tags/interest-rates/index.html").read_text()
    (site / "content/a.md").write_text(article("A", "2025-06-19", tags="[Interest Rates]"))
    (site / "content/b.md").write_text(article("B", "2025-06-18", tags="[Interest-Rates]"))
    assert run_cli("build", "--site", site).code == 0
    assert folders(site / "site", "tags") == urls
    assert "2025/06/19/a/" in (site / "site/tags/interest-rates/index.html").read_text()


FAKE_UNIDECODE = "def unidecode(text, *args, **kwargs):\n    return 'planted'\n"
TITLES = {
    "content/ja.md": ("東京の地下鉄", "2025/06/19/dong-jing-nodi-xia-tie/"),
    "content/ru.md": ("Путин встретился с Си", "2025/06/18/putin-vstretilsia-s-si/"),
    "content/el.md": ("Αθήνα και Σπάρτη", "2025/06/17/athena-kai-sparte/"),
}


def test_slugs_do_not_depend_on_what_else_is_installed(make_site, tmp_path):
    """python-slugify uses `unidecode` when it is installed: a Japanese title got another
    URL on a machine that had it. A planted `unidecode` changes nothing."""
    days = {"content/ja.md": "2025-06-19", "content/ru.md": "2025-06-18", "content/el.md": "2025-06-17"}
    site = make_site({rel: article(title, days[rel], tags=f"['{title}']") for rel, (title, _) in TITLES.items()})
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "unidecode.py").write_text(FAKE_UNIDECODE)
    outputs = {}
    for name, path in (("plain", str(REPO)), ("planted", os.pathsep.join([str(planted), str(REPO)]))):
        env = {**os.environ, "PYTHONPATH": path}
        command = [
            sys.executable,
            "-m",
            "broadsheet",
            "build",
            "--site",
            str(site),
            "--output",
            str(tmp_path / f"out-{name}"),
            "--no-cache",
        ]
        result = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        outputs[name] = tree_bytes(tmp_path / f"out-{name}")
    for _, url in TITLES.values():
        assert f"{url}index.html" in outputs["plain"], url
    assert "tags/dong-jing-nodi-xia-tie/index.html" in outputs["plain"]
    assert outputs["planted"] == outputs["plain"]
