"""Editions are cut in the site's time zone."""

from conftest import article, run_cli


def test_late_evening_story_stays_in_its_local_day(make_site):
    # 23:30 in London on 19 June is 22:30 UTC; 00:30 on the 20th in London is 23:30 UTC on the 19th.
    site = make_site({
        "content/late.md": article("Late story", "2025-06-19 23:30"),
        "content/early.md": article("Early story", "2025-06-19T23:30:00+00:00"),
    })  # fmt: skip
    assert run_cli("build", "--site", site).code == 0
    day19 = (site / "site/2025/06/19/index.html").read_text()
    day20 = (site / "site/2025/06/20/index.html").read_text()
    assert "Late story" in day19 and "Late story" not in day20
    assert "Early story" in day20 and "Early story" not in day19
    assert (site / "site/2025/06/19/late-story/index.html").is_file()
    assert (site / "site/2025/06/20/early-story/index.html").is_file()
    assert 'datetime="2025-06-19T23:30:00+01:00"' in day19


def test_another_time_zone_moves_the_same_story(make_site):
    settings = "title: T\nbase_url: https://example.org/\ntimezone: America/New_York\n"
    site = make_site({"content/a.md": article("Offset story", "2025-06-20T02:00:00+01:00")}, settings)
    assert run_cli("build", "--site", site).code == 0
    assert "Offset story" in (site / "site/2025/06/19/index.html").read_text()  # 21:00 in New York


def test_weekly_editions(make_site):
    settings = "title: T\nbase_url: https://example.org/\nedition: week\ntimezone: UTC\n"
    site = make_site({
        "content/mon.md": article("Monday story", "2025-06-16 08:00"),
        "content/sun.md": article("Sunday story", "2025-06-22 23:00"),
        "content/next.md": article("Next week story", "2025-06-23 00:10"),
    }, settings)  # fmt: skip
    assert run_cli("build", "--site", site).code == 0
    week25 = (site / "site/2025/w25/index.html").read_text()
    assert "Monday story" in week25 and "Sunday story" in week25 and "Next week story" not in week25
    assert "Week of June 16, 2025" in week25  # language: en writes dates as CLDR's English does
    assert "Next week story" in (site / "site/2025/w26/index.html").read_text()


def test_featured_story_leads_its_edition_and_front_page_paginates(make_site):
    settings = "title: T\nbase_url: https://example.org/\neditions_per_page: 2\ntimezone: UTC\n"
    files = {f"content/d{d}.md": article(f"Story of day {d}", f"2025-06-{d} 12:00") for d in range(10, 15)}
    files["content/lead.md"] = article("Leading story", "2025-06-14 08:00", featured="true")
    site = make_site(files, settings)
    assert run_cli("build", "--site", site).code == 0
    edition = (site / "site/2025/06/14/index.html").read_text()
    assert edition.index("Leading story") < edition.index("Story of day 14")
    front = (site / "site/index.html").read_text()
    assert "Story of day 14" in front and "Story of day 13" in front and "Story of day 12" not in front
    assert "Story of day 12" in (site / "site/page/2/index.html").read_text()
    assert "Story of day 10" in (site / "site/page/3/index.html").read_text()
    assert not (site / "site/page/4").exists()
