"""`broadsheet theme list` and `broadsheet theme copy`: the built-in theme's files shown, and
copied into a site for editing, never over a file of the site's or through a symlink."""

from __future__ import annotations

from broadsheet import theme

from conftest import SETTINGS, article, run_cli, tree_bytes, write_tree


def _site(tmp_path, files=None):
    return write_tree(
        tmp_path / "src",
        {"broadsheet.yaml": SETTINGS, "content/a.md": article("A", "2025-06-19T08:00:00+00:00"), **(files or {})},
    )


def test_list_shows_every_theme_file_and_which_ones_the_site_overrides(tmp_path):
    site = _site(tmp_path, {"templates/article.html": "{% extends 'base.html' %}", "static/css/code.css": ""})
    result = run_cli("theme", "list", "--site", site)
    assert result.code == 0, result.err
    listed = [line.split()[0] for line in result.out.splitlines() if line.startswith("  ")]
    every = sorted(f"templates/{p.relative_to(theme.TEMPLATES).as_posix()}" for p in theme.TEMPLATES.rglob("*.*"))
    assert listed == every + sorted(
        f"static/{p.relative_to(theme.STATIC).as_posix()}" for p in theme.STATIC.rglob("*.*")
    )
    overridden = {line.split()[0] for line in result.out.splitlines() if "overridden by the site's own" in line}
    assert overridden == {"templates/article.html", "static/css/code.css"}


def test_copy_puts_the_theme_files_where_the_build_takes_them(tmp_path):
    site = _site(tmp_path)
    result = run_cli("theme", "copy", "--site", site, "templates/email/edition.txt", "article.html", "css/code.css")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "copied templates/email/edition.txt",
        "copied templates/article.html",
        "copied static/css/code.css",
    ]
    for name, source in [
        ("templates/article.html", theme.TEMPLATES / "article.html"),
        ("static/css/code.css", theme.STATIC / "css/code.css"),
    ]:
        assert (site / name).read_bytes() == source.read_bytes()
    (site / "templates/article.html").write_text(
        (theme.TEMPLATES / "article.html").read_text().replace("<h1>", '<h1 class="edited">')
    )
    assert run_cli("build", "--site", site).code == 0
    assert (
        '<h1 class="edited">' in (site / "site/2025/06/19/a/index.html").read_text()
    )  # the site's copy is the one used


def test_copy_never_overwrites_and_copies_nothing_when_one_name_is_refused(tmp_path):
    site = _site(tmp_path, {"templates/base.html": "mine"})
    before = tree_bytes(site)
    result = run_cli("theme", "copy", "--site", site, "base.html", "article.html", "templates/no-such.html",
                     "../../etc/passwd", "templates/../../outside.html", "/etc/passwd")  # fmt: skip
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: base.html: exists in the site; not overwritten (remove it first to start again from the theme's)",
        "error: templates/no-such.html: not a file or folder of the built-in theme (broadsheet theme list shows them)",
        "error: ../../etc/passwd: not a file or folder of the built-in theme (broadsheet theme list shows them)",
        "error: templates/../../outside.html: not a file or folder of the built-in theme (broadsheet theme list shows them)",
        "error: /etc/passwd: not a file or folder of the built-in theme (broadsheet theme list shows them)",
        "Nothing copied.",
    ]
    assert tree_bytes(site) == before  # article.html, which could be copied, was not either
    assert not (tmp_path / "outside.html").exists()


def test_copy_refuses_a_symlink_in_the_way(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    site = _site(tmp_path)
    (site / "templates").symlink_to(outside)
    (site / "static").mkdir()
    (site / "static/css").mkdir()
    (site / "static/css/code.css").symlink_to(outside / "dangling.css")
    result = run_cli("theme", "copy", "--site", site, "article.html", "css/code.css")
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: article.html: templates is a symlink; not followed, nothing written through it",
        "error: css/code.css: static/css/code.css is a symlink; not followed, nothing written through it",
        "Nothing copied.",
    ]
    assert list(outside.iterdir()) == []


def test_theme_needs_an_action(tmp_path):
    result = run_cli("theme", "--site", _site(tmp_path))
    assert result.code == 2 and "ACTION" in result.err


def test_copy_takes_a_folder_of_the_theme_file_by_file(tmp_path):
    site = _site(tmp_path, {"templates/email/edition.txt": "mine"})
    result = run_cli("theme", "copy", "--site", site, "templates/email")
    assert result.code == 1  # one of its files is the site's already
    assert result.err.splitlines()[0].startswith("error: templates/email/edition.txt: exists in the site")
    assert not (site / "templates/email/edition.html").exists()
    result = run_cli("theme", "copy", "--site", site, "static")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"copied static/{p.relative_to(theme.STATIC).as_posix()}" for p in sorted(theme.STATIC.rglob("*.*"))
    ]
