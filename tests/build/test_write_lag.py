"""The tree being written is brought level with the live one (write.OutputWriter): the files
the last build changed are linked from the live tree at the commit, unless this build
writes them first, and the output is a clean build's at every step."""

import os
import shutil
import threading

from broadsheet.build import output_folder, write

from conftest import article, run_cli, tree_bytes


def site_of(make_site, footer: str, alpha: str = "Body text."):
    return make_site({
        "content/world/a.md": article("Alpha story", "2025-06-18 10:00", alpha, tags="[NATO]"),
        "content/world/b.md": article("Beta story", "2025-06-19 11:00"),
        "templates/_footer.html": f"<footer><p>{footer}</p></footer>\n",
    })  # fmt: skip


def test_files_the_last_build_changed_and_this_one_rewrites_are_not_linked_first(make_site, tmp_path, monkeypatch):
    linked: list[str] = []
    link = write._link_new
    monkeypatch.setattr(write, "_link_new", lambda source, target: (linked.append(target), link(source, target)))
    out = tmp_path / "out"
    for footer in ("First footer", "Second footer", "Third footer"):  # each rewrites every page
        site = site_of(make_site, footer)
        linked.clear()
        assert run_cli("build", "--site", site, "--output", out).code == 0
    assert [t for t in linked if t.endswith(".html")] == []
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def test_files_the_last_build_changed_and_this_one_keeps_are_linked_from_the_live_tree(make_site, tmp_path):
    """A template edit rewrites every page; the next build changes one story's body: the
    other pages, in the tree it writes, are the template edit's, not the build's before."""
    out = tmp_path / "out"
    for footer, alpha in (("First", "Body text."), ("Second", "Body text."), ("Second", "Another body.")):
        site = site_of(make_site, footer, alpha)
        assert run_cli("build", "--site", site, "--output", out).code == 0
        assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
        assert tree_bytes(out) == tree_bytes(tmp_path / "clean")
    beta = next(p for p in tree_bytes(out) if "beta-story" in p)
    assert b"Second" in (out / beta).read_bytes()


def test_the_files_the_last_build_changed_and_this_one_keeps_are_unlinked_by_threads_at_once(
    make_site, tmp_path, monkeypatch
):
    """An unlink that frees a file's blocks may wait on the disk's journal: after a template
    edit, a body edit links the live tree's pages where the tree it writes still holds the
    build before's, and those are set aside into the pool (or unlinked) together by several
    threads, not one after another here."""
    out = tmp_path / "out"
    for footer in ("First footer", "Second footer"):
        assert run_cli("build", "--site", site_of(make_site, footer), "--output", out).code == 0
    unlinked: list[tuple[str, bool]] = []  # the files that were there, and whether this thread moved them
    unlink, replace = os.unlink, os.replace

    def spied(path, **keywords):
        unlink(path, **keywords)
        unlinked.append((str(path), threading.current_thread() is threading.main_thread()))

    def spied_replace(path, target, **keywords):
        replace(path, target, **keywords)
        unlinked.append((str(path), threading.current_thread() is threading.main_thread()))

    monkeypatch.setattr(write, "UNLINKERS", 1)  # threads from 8 files on
    monkeypatch.setattr(os, "unlink", spied)
    monkeypatch.setattr(os, "replace", spied_replace)
    site = site_of(make_site, "Second footer", alpha="Another body.")
    assert run_cli("build", "--site", site, "--output", out).code == 0
    pages = [here for path, here in unlinked if path.endswith(".html")]
    assert len(pages) >= 8 and not any(pages)
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def idle_tree(out):
    layout = output_folder.Layout(out)
    return layout.tree(next(name for name in output_folder.TREES if name != layout.live()))


def test_a_page_the_last_build_changed_is_rewritten_in_place_where_the_tree_being_written_holds_it(make_site, tmp_path):
    """The tree being written holds, where the last build wrote a page, the build before's
    page in a file of its own: a template edit writes over it rather than unlinking it and
    making another (a tenth of the kernel's work). A file held open there shows the new page;
    a shorter page leaves nothing of the longer one behind."""
    out = tmp_path / "out"
    for footer in ("The first footer, the longest of them", "Second footer"):
        assert run_cli("build", "--site", site_of(make_site, footer), "--output", out).code == 0
    page = next(p for p in sorted(idle_tree(out).rglob("index.html")) if b"alpha-story" in p.read_bytes())
    held = os.open(page, os.O_RDONLY)
    try:
        site = site_of(make_site, "Third")
        assert run_cli("build", "--site", site, "--output", out).code == 0
        shown = os.pread(held, 1 << 20, 0)
    finally:
        os.close(held)
    assert b"<footer><p>Third</p></footer>" in shown and b"longest" not in shown
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def test_a_file_the_tree_being_written_shares_with_the_live_tree_is_never_written_through(make_site, tmp_path):
    """A body edit leaves the two trees sharing every page it did not change (hard links): the
    template edit after it makes new files for those, so the tree readers saw until its
    switch keeps the old footer on every page."""
    out = tmp_path / "out"
    assert run_cli("build", "--site", site_of(make_site, "First footer"), "--output", out).code == 0
    assert run_cli("build", "--site", site_of(make_site, "First footer", "Another body."), "--output", out).code == 0
    site = site_of(make_site, "Other footer", "Another body.")  # the same length: every page the same size
    assert run_cli("build", "--site", site, "--output", out).code == 0
    pages = [p.read_bytes() for p in idle_tree(out).rglob("*.html")]
    assert len(pages) > 5
    assert all(b"First footer" in page and b"Other footer" not in page for page in pages if b"<footer>" in page)
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def test_the_threads_never_unlink_through_a_symlink_in_the_tree_they_level(make_site, tmp_path, monkeypatch):
    """A folder of the tree being written swapped for a symlink to a folder elsewhere: what
    lies there is never unlinked (the writer puts a real folder in its place)."""
    out = tmp_path / "out"
    for footer in ("First footer", "Second footer"):
        assert run_cli("build", "--site", site_of(make_site, footer), "--output", out).code == 0
    layout = output_folder.Layout(out)
    idle = layout.tree(next(name for name in output_folder.TREES if name != layout.live()))
    page = next(p for p in sorted(idle.rglob("index.html")) if p.parent != idle)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(page.parent, elsewhere)
    shutil.rmtree(page.parent)
    page.parent.symlink_to(elsewhere, target_is_directory=True)
    monkeypatch.setattr(write, "UNLINKERS", 1)  # threads from 8 files on
    site = site_of(make_site, "Third footer")
    assert run_cli("build", "--site", site, "--output", out).code == 0
    assert b"First footer" in (elsewhere / "index.html").read_bytes()  # the idle tree's bytes, left there
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def recorded_names(out):
    """The digest of the live tree's names the last commit recorded (state.json's `files`)."""
    state = output_folder.read_state(output_folder.Layout(out))
    assert state is not None
    return state.files


def live_names(out):
    return output_folder.names_digest(write.disk_stamps(out))


def test_a_commit_that_adds_or_removes_no_name_records_the_digest_it_was_given(tmp_path):
    """A body edit's writer is handed the names digest of the stamps it keeps (the last
    commit's `names`) and records it again rather than hash 15,000 names; a commit that adds
    or removes a name, or keeps a file that is not one of ours, works it out afresh."""
    out = tmp_path / "out"
    first = write.OutputWriter(out)
    first.put("a.html", b"A")
    first.put("b/index.html", b"B")
    made = first.commit()
    assert made.names == live_names(out)  # a first build records no lag, so no names either

    rewrite = write.OutputWriter(out, made.stamps, "handed in")  # a stand-in, to show it is the one recorded
    rewrite.keep(made.stamps)
    rewrite.put("a.html", b"A again")
    same = rewrite.commit()
    assert same.names == recorded_names(out) == "handed in"

    add = write.OutputWriter(out, same.stamps, "handed in")
    add.keep(same.stamps)
    add.put("c.html", b"C")
    added = add.commit()
    assert added.names == recorded_names(out) == live_names(out)

    remove = write.OutputWriter(out, added.stamps, "handed in")
    remove.keep(set(added.stamps) - {"c.html"})
    remove.put("a.html", b"A once more")
    removed = remove.commit()
    assert removed.names == recorded_names(out) == live_names(out)

    os.symlink("a.html", out / "d.html")  # by hand: not a file of ours, so its digest vouches for nothing
    stamps = write.live_stamps(out)
    hand = write.OutputWriter(out, stamps)
    hand.keep(stamps)
    hand.put("a.html", b"A at last")
    assert hand.commit().names is None
