"""The output as publishing reads it: resolved once, regular files only, hashed by content."""

import hashlib
import os

from broadsheet.publish.local import read_output
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
    outcome = Outcome(uploaded=["n"] * 10, replaced=["r"] * 2, deleted=["d", "e"], redirects=["x"], unchanged=14032, bytes_sent=340 * 1024)
    assert summary_line("bucket", outcome, 3.14) == "Published to bucket: 12 uploaded (340 KB), 2 deleted, 14,032 unchanged, 1 redirect, in 3.1 s"
