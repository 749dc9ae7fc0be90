"""The output as publishing reads it: resolved once, regular files only, hashed by content."""

import hashlib
import os

from broadsheet.publish.local import read_output, redirect_pages, redirected
from broadsheet.publish.outcome import Outcome, summary_line


def test_the_output_link_is_resolved_and_only_regular_files_are_read(tmp_path):
    tree = tmp_path / ".site.trees" / "a"
    (tree / "news").mkdir(parents=True)
    (tree / "index.html").write_bytes(b"<p>home</p>")
    (tree / "news" / "a.html").write_bytes(b"<p>same size</p>")
    (tmp_path / "secret").write_text("outside")
    os.symlink(tmp_path / "secret", tree / "leak.txt")
    os.symlink(".site.trees/a", tmp_path / "site")

    site = read_output(tmp_path / "site")

    assert site.root == tree.resolve()
    assert list(site.files) == ["index.html", "news/a.html"]
    assert site.files["news/a.html"].sha256 == hashlib.sha256(b"<p>same size</p>").hexdigest()
    assert site.files["news/a.html"].size == 16


def test_the_summary_line_reads_as_the_issue_wrote_it():
    outcome = Outcome(
        uploaded=["n"] * 10,
        replaced=["r"] * 2,
        deleted=["d", "e"],
        redirects=["x"],
        unchanged=14032,
        bytes_sent=340 * 1024,
    )
    assert (
        summary_line("bucket", outcome, 3.14)
        == "Published to bucket: 12 uploaded (340 KB), 2 deleted, 14,032 unchanged, 1 redirect, in 3.1 s"
    )


def test_redirect_pages_are_found_by_the_tail_of_their_served_path_and_never_the_home_page(tmp_path):
    """One reader of `_redirects` for every target. A rule whose page is not in the output (a
    site's own Netlify rule to another host) must not name the home page: S3 would give the
    home page that rule's WebsiteRedirectLocation."""
    tree = tmp_path / "site"
    for page in ("index.html", "2025/06/old/index.html", "old/story.html"):
        (tree / page).parent.mkdir(parents=True, exist_ok=True)
        (tree / page).write_text("<p>x</p>")
    (tree / "_redirects").write_text(
        "# generated\n/digest/2025/06/old/ /digest/2025/06/new/ 301\n/digest/old/story.html /digest/new/ 301\n/shop/ https://shop.example/ 301\n"
    )
    site = read_output(tree)
    assert redirect_pages(site) == {
        "2025/06/old/index.html": ("/digest/2025/06/old/", "/digest/2025/06/new/"),
        "old/story.html": ("/digest/old/story.html", "/digest/new/"),
    }
    assert redirected(site) == ["/digest/2025/06/old/", "/digest/old/story.html"]
