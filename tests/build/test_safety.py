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
