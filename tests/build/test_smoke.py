from conftest import article, run_cli


def test_a_small_site_builds(make_site):
    site = make_site({"content/world/a.md": article("Hello world", "2025-06-19 09:30")})
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert (site / "site/2025/06/19/hello-world/index.html").is_file()
    assert "Built 1 article into" in result.out
