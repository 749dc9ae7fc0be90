"""Nothing is ever written outside the output folder, whatever a slug or path says."""

import os
import subprocess
import sys

from broadsheet.build.pipeline import build
from broadsheet.build.progress import Progress
from broadsheet.build.request import BuildRequest

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


def test_symlinked_static_file_is_copied_not_linked(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19"), "shared/kept.txt": "kept"})
    secret = site / "shared/kept.txt"  # inside the site folder: links out of it are refused (below)
    (site / "static").mkdir()
    (site / "static/link.txt").symlink_to(secret)
    assert run_cli("build", "--site", site).code == 0
    copied = site / "site/link.txt"
    assert not copied.is_symlink() and copied.read_text() == "kept"
    copied.unlink()  # removing the output copy leaves the original alone
    assert secret.read_text() == "kept"


# --- hostile files (issue 15): nothing outside the site folder is read, special files never hang


def site_with_static(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    (site / "static").mkdir()
    return site


def assert_refused(result, site, name, target):
    assert result.code == 1, result.err
    assert f"{name}: symlink points outside the site folder (-> {target})" in result.err
    assert "Traceback" not in result.err
    assert not (site / "site").exists()


def test_a_static_symlink_to_outside_is_an_error(make_site):
    site = site_with_static(make_site)
    (site / "static/leak.txt").symlink_to("/etc/passwd")
    assert_refused(run_cli("build", "--site", site), site, "static/leak.txt", "/etc/passwd")


def test_a_static_folder_symlink_to_outside_is_an_error(make_site):
    site = site_with_static(make_site)
    (site / "static/ssl").symlink_to("/etc/ssl")
    assert_refused(run_cli("build", "--site", site), site, "static/ssl", "/etc/ssl")


def test_a_bundle_symlink_to_outside_is_an_error(make_site):
    site = make_site({"content/b/index.md": article("B", "2025-06-19")})
    (site / "content/b/passwd").symlink_to("/etc/passwd")
    assert_refused(run_cli("build", "--site", site), site, "content/b/passwd", "/etc/passwd")


def test_a_content_folder_symlink_to_outside_is_an_error(make_site, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.md").write_text(article("Outside", "2025-06-19"))
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    (site / "content/etc").symlink_to(outside)
    assert_refused(run_cli("build", "--site", site), site, "content/etc", outside)


def test_a_content_file_symlink_to_outside_is_an_error(make_site, tmp_path):
    outside = tmp_path / "x.md"
    outside.write_text(article("Outside", "2025-06-19"))
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    (site / "content/x.md").symlink_to(outside)
    assert_refused(run_cli("build", "--site", site), site, "content/x.md", outside)


def test_a_template_symlink_to_outside_is_an_error(make_site, tmp_path):
    outside = tmp_path / "base.html"
    outside.write_text("{{ page }}")
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    (site / "templates").mkdir()
    (site / "templates/base.html").symlink_to(outside)
    assert_refused(run_cli("build", "--site", site), site, "templates/base.html", outside)


def test_the_environment_of_the_build_is_never_published(make_site, monkeypatch):
    monkeypatch.setenv("BROADSHEET_TEST_SECRET", "hunter2-do-not-publish")
    site = make_site({"content/b/index.md": article("B", "2025-06-19")})
    (site / "static").mkdir()
    (site / "static/env.txt").symlink_to("/proc/self/environ")
    (site / "content/b/env.txt").symlink_to("/proc/self/environ")
    result = run_cli("build", "--site", site)
    assert result.code == 1 and "static/env.txt: symlink points outside the site folder" in result.err
    assert "content/b/env.txt: symlink points outside the site folder" in result.err
    published = [p for p in site.rglob("*") if p.is_file() and not p.is_symlink()]
    assert not any(b"hunter2-do-not-publish" in p.read_bytes() for p in published)


def test_symlinks_inside_the_site_folder_are_followed(make_site):
    site = make_site(
        {
            "content/a.md": article("A", "2025-06-19"),
            "shared/logo.txt": "logo",
            "shared/b.md": article("B", "2025-06-19"),
        }
    )
    (site / "static").mkdir()
    (site / "static/logo.txt").symlink_to(site / "shared/logo.txt")
    (site / "content/b.md").symlink_to("../shared/b.md")
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert (site / "site/logo.txt").read_text() == "logo"
    assert (site / "site/2025/06/19/b/index.html").is_file()


def run_in_a_process(*args, timeout=60):
    """The CLI in its own process, for inputs that could hang it (a test in-process would hang too)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "broadsheet", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def test_a_fifo_article_does_not_hang_the_build(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    os.mkfifo(site / "content/x.md")
    result = run_in_a_process("build", "--site", site)
    assert result.returncode == 1, result.stderr
    assert "content/x.md: not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_fifo_in_static_and_in_a_bundle_does_not_hang_the_build(make_site):
    site = make_site({"content/b/index.md": article("B", "2025-06-19")})
    (site / "static").mkdir()
    os.mkfifo(site / "static/pipe.css")
    os.mkfifo(site / "content/b/pipe.jpg")
    result = run_in_a_process("build", "--site", site)
    assert result.returncode == 1, result.stderr
    assert "static/pipe.css: not a regular file" in result.stderr
    assert "content/b/pipe.jpg: not a regular file" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (site / "site").exists()


def test_an_article_linked_to_dev_zero_stops_at_the_size_limit(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    (site / "content/x.md").symlink_to("/dev/zero")
    result = run_in_a_process("build", "--site", site)
    assert result.returncode == 1, result.stderr
    assert "content/x.md: " in result.stderr and "Traceback" not in result.stderr


def test_a_file_symlink_loop_is_an_error_not_a_traceback(make_site):
    site = make_site({"content/c.md": article("C", "2025-06-19")})
    (site / "content/a.md").symlink_to("b.md")
    (site / "content/b.md").symlink_to("a.md")
    result = run_cli("build", "--site", site)
    assert result.code == 1, result.err
    assert "content/a.md: symlink loop" in result.err and "content/b.md: symlink loop" in result.err
    assert not (site / "site").exists()


def test_a_content_file_name_that_is_not_utf8_is_named_with_its_bytes_escaped(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    with open(os.path.join(os.fsencode(site / "content"), b"caf\xe9.md"), "w") as f:
        f.write(article("Cafe", "2025-06-19"))
    result = run_cli("build", "--site", site)
    assert result.code == 1, result.err
    assert "content/caf\\xe9.md: file name is not UTF-8" in result.err
    assert "Traceback" not in result.err


def test_a_bundle_file_removed_while_the_site_builds_is_named(make_site):
    """The file goes between the scan and the copy: a real build, told by its progress
    reports when it starts rendering, which is after the scan and before the copies."""
    site = make_site(
        {
            "content/b/index.md": article("B", "2025-06-19"),
            "content/b/photo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        }
    )

    def remove_at_render(stage, done, total):
        if stage == "render" and done == 0:
            (site / "content/b/photo.svg").unlink()

    report = build(BuildRequest(site), progress=Progress(remove_at_render))
    said = [p.format() for p in report.problems]
    assert said == ["content/b/photo.svg: no longer there (removed while the site was building); build again"]
    assert not (site / "site").exists()


def test_a_settings_file_linked_outside_the_site_is_an_error(make_site, tmp_path):
    outside = tmp_path / "shared.yaml"
    outside.write_text("title: Elsewhere\n")
    site = make_site({"content/a.md": article("A", "2025-06-19")}, settings=None)
    (site / "broadsheet.yaml").symlink_to(outside)
    result = run_cli("build", "--site", site)
    assert_refused(result, site, "broadsheet.yaml", outside)


def test_a_static_file_name_that_is_not_utf8_is_named_not_a_traceback(make_site):
    site = site_with_static(make_site)
    with open(os.path.join(os.fsencode(site / "static"), b"caf\xe9.css"), "w") as f:
        f.write("p {}")
    result = run_cli("build", "--site", site)
    assert result.code == 1, result.err
    assert "static/caf\\xe9.css: file name is not UTF-8" in result.err
    assert not (site / "site").exists()


def test_site_folders_that_are_themselves_links_outside_are_errors(make_site, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.md").write_text(article("Outside", "2025-06-19"))
    site = make_site({}, settings="title: T\nbase_url: https://example.org/\n")
    for name in ("content", "static", "templates"):
        (site / name).symlink_to(outside)
    result = run_cli("build", "--site", site)
    for name in ("content", "static", "templates"):
        assert f"{name}: symlink points outside the site folder (-> {outside})" in result.err
    assert result.code == 1 and not (site / "site").exists()


CONTROLS = "\\x01\\x1b\\x7f\\x85\\x9b\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069"
UNSEEN = [
    chr(c) for c in (*range(9), *range(11, 32), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
]


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
    (site / "content/b.md").write_text(article("B", "2025-06-19", body='Raw <a href="a.md">a</a>.'))
    (site / "content/c.md").write_text(article("C", "2025-06-19", body="[c](a.md)"))
    (site / "content/d.md").write_text(article("D", "2025-06-19", body="[d](a.md)"))
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert not [p for p in (site / "site").rglob("*") if p.is_file() and b"broadsheet-link:" in p.read_bytes()]
