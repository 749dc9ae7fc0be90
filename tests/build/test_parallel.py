"""Parsing and rendering across processes give the same bytes as doing it in one."""

import os
import threading

import pytest

from broadsheet.build import content, render

from conftest import article, run_cli, tree_bytes


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_parallel_build_equals_sequential_build(make_site, tmp_path, monkeypatch):
    files = {
        f"content/s{i % 3}/a{i}.md": article(
            f"Story {i}", f"2025-06-{10 + i % 9} 1{i % 10}:00", tags=f"[T{i % 5}, Шесть]"
        )
        for i in range(80)
    }
    site = make_site(files)
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "one").code == 0

    monkeypatch.setattr(content, "PARALLEL_FROM", 10)  # worker processes from 20 files up
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    assert threading.active_count() == 1, "rendering forks only in a process without other threads"
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "many").code == 0
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "many")
