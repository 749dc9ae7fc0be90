"""The invariant: after any sequence of changes, the incremental rebuild's output is
byte-for-byte a clean full build of the same files."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from broadsheet.pipeline import BuildRequest, BuildState, build
from conftest import SETTINGS, article, tree_bytes, write_tree

NOW = datetime(2025, 7, 1, tzinfo=timezone.utc)
NAMES = [f"content/{section}/story-{i}.md" for section in ("world", "business") for i in range(4)] + ["content/science/bundle/index.md"]
WORDS = ["Alpha", "Beta", "Gamma", "Delta", "Эпсилон"]
TAGS = ["NATO", "nato", "Energy", "AI", "Russia"]


def article_text(draw) -> str:
    title = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)))
    day = draw(st.integers(16, 20))
    hour = draw(st.sampled_from(["00:10", "12:00", "23:30"]))
    tags = draw(st.lists(st.sampled_from(TAGS), max_size=3))
    body = draw(st.sampled_from(["Short body.", "A longer body.\n\nWith two paragraphs.", "Before.\n\n<!--more-->\n\nAfter.", "See [the other](story-1.md)."]))
    extra = {"featured": "true"} if draw(st.booleans()) else {}
    return article(f'"{title}"', f"2025-06-{day} {hour}", body=body, tags="[" + ", ".join(tags) + "]", **extra)


@st.composite
def operations(draw):
    kind = draw(st.sampled_from(["write", "write", "write", "delete", "rename", "break", "template", "static", "settings"]))
    if kind == "write":
        return ("write", draw(st.sampled_from(NAMES)), article_text(draw))
    if kind == "delete":
        return ("delete", draw(st.sampled_from(NAMES)))
    if kind == "rename":
        return ("rename", draw(st.sampled_from(NAMES[:-1])), draw(st.sampled_from(NAMES[:-1])))
    if kind == "break":
        return ("write", draw(st.sampled_from(NAMES)), "---\ntitle: [unclosed\n---\n")
    if kind == "template":
        choice = draw(st.sampled_from([None, "<footer>Footer one</footer>\n", "<footer>{{ site.title }} two</footer>\n", "{% if %}"]))
        return ("template", choice)
    if kind == "static":
        return ("static", draw(st.sampled_from(["robots.txt", "css/extra.css", "css/broadsheet.css"])), draw(st.sampled_from([None, "a\n", "b { }\n"])))
    return ("settings", draw(st.sampled_from(["day", "week"])), draw(st.sampled_from(["One", "Two"])))


def apply(site: Path, op: tuple) -> None:
    kind = op[0]
    if kind == "write":
        write_tree(site, {op[1]: op[2]})
    elif kind == "delete":
        (site / op[1]).unlink(missing_ok=True)
    elif kind == "rename":
        source, target = site / op[1], site / op[2]
        if source.exists() and source != target:
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
    elif kind == "template":
        path = site / "templates/_footer.html"
        if op[1] is None:
            path.unlink(missing_ok=True)
        else:
            write_tree(site, {"templates/_footer.html": op[1]})
    elif kind == "static":
        path = site / "static" / op[1]
        if op[2] is None:
            path.unlink(missing_ok=True)
        else:
            write_tree(site, {f"static/{op[1]}": op[2]})
    else:
        write_tree(site, {"broadsheet.yaml": SETTINGS + f"edition: {op[1]}\ntitle: {op[2]}\n"})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations(), min_size=1, max_size=10))
def test_incremental_equals_clean(ops):
    check_incremental_equals_clean(ops)


def check_incremental_equals_clean(ops: list[tuple], settings_text: str = SETTINGS, apply_op=apply) -> None:
    """Build, then after each operation build incrementally and clean, and compare.
    Other test modules run it with their own settings and operations."""
    with tempfile.TemporaryDirectory() as tmp:
        site = write_tree(Path(tmp) / "site-src", {"broadsheet.yaml": settings_text, "content/world/story-1.md": article("Start", "2025-06-18 10:00")})
        state = BuildState()
        live = BuildRequest(site, now=NOW)
        assert build(live, state).ok
        for op in ops:
            apply_op(site, op)
            before = tree_bytes(site / "site")
            report = build(live, state)
            clean_output = Path(tmp) / "clean"
            shutil.rmtree(clean_output, ignore_errors=True)
            clean = build(BuildRequest(site, output=clean_output, now=NOW))
            assert report.ok == clean.ok, (op, report.problems, clean.problems)
            if report.ok:
                assert tree_bytes(site / "site") == tree_bytes(clean_output), op
            else:
                assert tree_bytes(site / "site") == before, op


def test_body_edit_renders_only_the_pages_that_show_it(make_site):
    files = {f"content/world/s{i}.md": article(f"Story {i}", f"2025-06-{10 + i % 9} 12:00", tags=f"[T{i % 4}]") for i in range(40)}
    site = make_site(files)
    state = BuildState()
    first = build(BuildRequest(site), state)
    assert first.ok and first.rendered == first.pages
    assert build(BuildRequest(site), state).rendered == 0
    (site / "content/world/s7.md").write_text(article("Story 7", "2025-06-17 12:00", body="Body text.\n\nA second paragraph.", tags="[T3]"))
    report = build(BuildRequest(site), state)
    assert report.ok and 0 < report.rendered < first.pages // 3
    pages = [path for path in report.changed if path.endswith(".html")]
    assert pages == ["2025/06/17/story-7/index.html"]  # feeds with full content change too


def test_template_edit_renders_the_pages_that_use_it(make_site):
    site = make_site({f"content/s{i}.md": article(f"Story {i}", f"2025-06-1{i} 12:00", tags="[A]") for i in range(5)})
    state = BuildState()
    first = build(BuildRequest(site), state)
    write_tree(site, {"templates/archive.html": "{% extends 'base.html' %}{% block main %}Archive!{% endblock %}"})
    report = build(BuildRequest(site), state)
    assert report.rendered == 1 and report.changed == ("archive/index.html",)
    write_tree(site, {"templates/_footer.html": "<footer>New footer</footer>"})
    assert build(BuildRequest(site), state).rendered == first.pages  # every page includes the footer


def test_a_failed_build_does_not_stand_in_for_the_disk(make_site, tmp_path):
    """A failed build renders pages it never writes: the next build must not take them
    as what is on disk."""
    site = make_site({"content/a.md": article("Alpha", "2025-06-19"), "content/b.md": article("Beta", "2025-06-19")})
    state = BuildState()
    assert build(BuildRequest(site), state).ok
    (site / "content/a.md").write_text("---\ntitle: [broken\n---\n")
    assert not build(BuildRequest(site), state).ok
    (site / "content/a.md").unlink()
    assert build(BuildRequest(site), state).ok
    assert build(BuildRequest(site, output=tmp_path / "clean")).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")
