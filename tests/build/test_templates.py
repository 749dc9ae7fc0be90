"""A template in the site's templates/ overrides the theme's file of the same name."""

from conftest import REPO, article, run_cli


def test_site_template_overrides_one_theme_file(make_site):
    site = make_site({
        "content/a.md": article("A story", "2025-06-19"),
        "templates/_footer.html": "<footer><p>Our own footer</p></footer>\n",
    })  # fmt: skip
    assert run_cli("build", "--site", site).code == 0
    page = (site / "site/2025/06/19/a-story/index.html").read_text()
    assert "Our own footer" in page
    assert 'class="masthead"' in page  # the rest of the theme is still the theme's


def test_demo_site_overrides_the_footer():
    assert (REPO / "templates/_footer.html").is_file()
    assert (REPO / "broadsheet/theme/templates/_footer.html").is_file()


def test_templates_autoescape(make_site):
    site = make_site({"content/a.md": article("'<script>alert(1)</script>'", "2025-06-19")})
    assert run_cli("build", "--site", site).code == 0
    html = (site / "site/index.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_fingerprinted_stylesheet(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19"), "static/css/broadsheet.css": "body { color: red }\n"})
    assert run_cli("build", "--site", site).code == 0
    css = [p for p in (site / "site/css").iterdir() if p.name != "broadsheet.css"]
    assert len(css) == 1 and css[0].read_text() == "body { color: red }\n"
    assert f'href="/css/{css[0].name}"' in (site / "site/index.html").read_text()
