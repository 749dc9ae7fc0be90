"""Nothing is ever written outside the output folder, whatever a slug or path says."""

from conftest import article, run_cli


def files_outside(root, output):
    """Files outside the output (the link and the two trees it switches between), the build
    cache aside."""
    trees = output.with_name(f".{output.name}.trees")
    return sorted(p for p in root.rglob("*") if p.is_file() and trees not in p.parents and ".broadsheet" not in p.parts)


def test_hostile_slugs_paths_and_sections_stay_inside(make_site, tmp_path):
    site = make_site({
        "content/a.md": article("../../../../etc/passwd", "2025-06-19"),
        "content/b.md": article("B", "2025-06-19", section="'../../../escape'"),
        "content/c.md": article("C", "2025-06-19", tags="['../../x', '/etc']"),
        "content/d.md": article("D", "2025-06-19", source="'../../../src'", authors="['../..', '/root']"),
    })  # fmt: skip
    before = files_outside(tmp_path, site / "site")
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert files_outside(tmp_path, site / "site") == before
    assert (site / "site/2025/06/19/etc-passwd/index.html").is_file()
    assert (site / "site/sections/escape/index.html").is_file()


def test_explicit_slug_with_a_path_is_refused(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", slug="'../../outside'")})
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "a.md:4: slug: expected lowercase letters" in result.err
    assert not (site / "site").exists()


def test_url_pattern_cannot_climb_out(make_site):
    settings = "title: T\nbase_url: https://example.org/\narticle_url: /../{slug}/\n"
    result = run_cli("build", "--site", make_site({"content/a.md": article("A", "2025-06-19")}, settings))
    assert result.code == 1
    assert "broadsheet.yaml:3: article_url:" in result.err


def test_link_out_of_the_site_is_an_error(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", body="[x](../../../../etc/passwd.md)")})
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "points outside the site folder" in result.err


def test_symlinked_static_file_outside_is_copied_not_linked(make_site, tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("outside")
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    (site / "static").mkdir()
    (site / "static/link.txt").symlink_to(secret)
    assert run_cli("build", "--site", site).code == 0
    copied = site / "site/link.txt"
    assert not copied.is_symlink() and copied.read_text() == "outside"
    copied.unlink()  # removing the output copy leaves the original alone
    assert secret.read_text() == "outside"


CONTROLS = "\\x01\\x1b\\x7f\\x85\\x9b\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069"
UNSEEN = [chr(c) for c in (*range(9), *range(11, 32), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))]


def test_control_and_bidi_characters_are_stripped_from_front_matter(make_site):
    # "\u202e" turned a title around ("Invoice gnp.exe" shows as "Invoice exe.png") in the
    # page, its feeds and mail clients; raw control characters broke XML feeds.
    site = make_site({
        "content/a.md": f'---\ntitle: "Invoice {CONTROLS}gnp.exe"\ndate: 2025-06-19\nslug: a\n'
                        f'summary: "Sum{CONTROLS}mary"\nauthors: ["Ann{CONTROLS}"]\ntags: ["t{CONTROLS}x"]\n---\nBody.\n',
    })  # fmt: skip
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    for path in (site / "site").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert not [c for c in UNSEEN if c in text], path
    page = (site / "site/2025/06/19/a/index.html").read_text(encoding="utf-8")
    assert "<h1>Invoice gnp.exe</h1>" in page and "Summary" in page and "Ann" in page


def test_no_internal_link_marker_is_ever_published(make_site):
    # A link written with doubled backslashes reached the pages as broadsheet-link:...,
    # with no error; so did the marker written by hand in raw HTML or a Markdown link.
    site = make_site({
        "content/a.md": article("A", "2025-06-19", body="See [x](..\\\\\\\\b.md) here.\n\nAnd [y](\\\\\\\\b.md).\n"),
        "content/b.md": article("B", "2025-06-19", body='Raw <a href="broadsheet-link:content/a.md">a</a>.'),
        "content/c.md": article("C", "2025-06-19", body="[c](broadsheet-link:content/a.md)"),
        "content/d.md": article("D", "2025-06-19", body="[d](a.md) and [e](a&b.md) fine."),
    })  # fmt: skip
    result = run_cli("build", "--site", site)
    assert result.code == 1, result.err
    assert "content/a.md:5: link to content/..\\\\b.md, which is not an article" in result.err
    assert "content/a.md:7: link to content/\\\\b.md, which is not an article" in result.err
    assert "content/b.md:5: broadsheet-link: is the build's own address for links between articles" in result.err
    assert "content/c.md:5: broadsheet-link: is the build's own address" in result.err
    assert "content/d.md:5: link to content/a&b.md, which is not an article" in result.err
    assert "Traceback" not in result.err and not (site / "site").exists()

    # Fixed, the site builds, and no file of it holds the marker.
    (site / "content/a.md").write_text(article("A", "2025-06-19", body="See [b](b.md)."))
    (site / "content/b.md").write_text(article("B", "2025-06-19", body="Raw <a href=\"a.md\">a</a>."))
    (site / "content/c.md").write_text(article("C", "2025-06-19", body="[c](a.md)"))
    (site / "content/d.md").write_text(article("D", "2025-06-19", body="[d](a.md)"))
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert not [p for p in (site / "site").rglob("*") if p.is_file() and b"broadsheet-link:" in p.read_bytes()]
