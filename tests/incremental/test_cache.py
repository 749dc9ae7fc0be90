"""The persistent build cache: used across runs, ignored when stale, safe to delete."""

import pickle

from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import cache

from conftest import article, run_cli, tree_bytes


def test_second_run_parses_nothing_and_gives_the_same_site(make_site, tmp_path):
    site = make_site({f"content/a{i}.md": article(f"Story {i}", "2025-06-19") for i in range(5)})
    output = site / "site"
    first = build(BuildRequest(site), cache.load(output))
    assert first.parsed == 5
    state = cache.load(output)  # nothing saved yet: build() alone does not write the cache
    assert state.parsed == {}
    assert run_cli("build", "--site", site).code == 0
    assert cache.cache_file(output).is_file()
    again = build(BuildRequest(site), cache.load(output))
    assert again.ok and again.parsed == 0
    (site / "content/a1.md").write_text(article("Story one, changed", "2025-06-19"))
    changed = build(BuildRequest(site), cache.load(output))
    assert changed.parsed == 1
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert run_cli("build", "--site", site).code == 0
    assert tree_bytes(output) == tree_bytes(tmp_path / "clean")


def test_a_corrupt_or_foreign_cache_is_ignored(make_site):
    site = make_site({"content/a.md": article("Story", "2025-06-19")})
    assert run_cli("build", "--site", site).code == 0
    path = cache.cache_file(site / "site")
    path.write_bytes(b"not a pickle")
    assert run_cli("build", "--site", site).code == 0
    stamp, *rest = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps(("0.0.0-other", *rest)))
    assert build(BuildRequest(site), cache.load(site / "site")).parsed == 1


def test_settings_that_change_parsing_miss_the_cache(make_site):
    site = make_site({"content/a.md": article("Story", "2025-06-19 23:30")})
    assert run_cli("build", "--site", site).code == 0
    (site / "broadsheet.yaml").write_text("title: T\nbase_url: https://example.org/\ntimezone: UTC\n")
    report = build(BuildRequest(site), cache.load(site / "site"))
    assert report.parsed == 1 and report.ok


def test_deleting_the_cache_is_safe(make_site):
    site = make_site({"content/a.md": article("Story", "2025-06-19")})
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    cache.cache_file(site / "site").unlink()
    assert run_cli("build", "--site", site).code == 0
    assert tree_bytes(site / "site") == before
