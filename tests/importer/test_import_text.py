"""broadsheet import of pasted article text and saved pages: front matter, boilerplate, sanitising."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import SETTINGS, run_cli

SAMPLES = Path(__file__).resolve().parent / "samples"

FERRY_STANDFIRST = "Crossings resume with a new timetable and contactless fares on board"
FERRY_STORY = [
    "The harbour ferry resumed its crossings on Tuesday morning after six weeks in dry dock, the port authority said.",
    "Engineers replaced both propeller shafts and a cracked section of the hull",
    '"We are glad to have the boat back where it belongs," said Ines Varga',
    "Passengers queued from dawn, and the first crossing left four minutes late.",
    "Fares are unchanged until September, when the council will review them alongside the bus network.",
    "The next inspection is due in the spring and will not interrupt the service, the authority added.",
]
FERRY_BOILERPLATE = [
    "THE COASTAL LEDGER", "Skip to main content", "News | Sport", "Ada Reyes", "By Mara Quill", "BST", "Share",
    "Read more", "Port authority names new harbour master", "Sign up", "Morning Tide", "newsletter", "inbox",
    "Enter your email", "Privacy Notice", "promotion", "Support the", "Independent journalism", "billionaire",
    "contribution", "Give once", "Give monthly", "£5", "Continue", "Remind me", "payment methods", "Coastal Ledger", "©",
]  # fmt: skip


def split(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    _, fm, body = text.split("---\n", 2)
    return yaml.safe_load(fm), body


def import_one(make_site, *args, settings: str = SETTINGS) -> tuple[dict, str]:
    """Import into a fresh site that must end with one article: its front matter and body."""
    site = make_site({}, settings=settings)
    result = run_cli("import", "--site", site, *args)
    assert result.code == 0, result.err
    [path] = imported(site)
    return split(path)


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.split("\n\n") if p.strip()]


def imported(site: Path) -> list[Path]:
    return sorted((site / "content").rglob("*.md"))


def test_pasted_text_becomes_a_clean_draft(make_site):
    site = make_site({})
    result = run_cli(
        "import", "--site", site, SAMPLES / "ferry.txt", "--tags", "Transport, Islands", "--section", "Local news"
    )
    assert result.code == 0, result.err
    assert result.out.strip().endswith("Imported 1 article, skipped 0, failed 0.")
    [path] = imported(site)
    assert path == site / "content" / "local-news" / "harbour-ferry-returns-to-service-after-six-weeks-of-repairs.md"
    fm, body = split(path)
    assert fm["title"] == "Harbour ferry returns to service after six weeks of repairs"
    assert fm["date"] == "2025-06-17 08:15"  # the dateline, read in the site's time zone (BST)
    assert fm["authors"] == ["Mara Quill", "Tomas Bell"]
    assert fm["tags"] == ["Transport", "Islands"]
    assert fm["draft"] is True
    assert fm["imported"]["image"] == {
        "caption": "The Gull at the north quay on Monday morning.",
        "credit": "Ada Reyes / Ledger Pictures",
    }
    assert fm["imported"]["hash"].startswith("sha256:")
    assert (
        fm["imported"]["standfirst"] == FERRY_STANDFIRST and "summary" not in fm
    )  # the outlet's words, not the editor's summary
    assert FERRY_STANDFIRST not in body
    for sentence in FERRY_STORY:
        assert sentence in body
    for words in FERRY_BOILERPLATE:
        assert words not in body, words
    assert [p for p in body.split("\n\n") if p.strip()] == [
        p for p in body.split("\n\n") if any(s in p for s in FERRY_STORY)
    ]


def test_source_rules_from_settings_and_url_line(make_site):
    settings = (
        SETTINGS
        + "import:\n  sources:\n    - name: Valley Herald\n      hosts: [valleyherald.example]\n      drop: ['partner offers:']\n"
    )
    site = make_site({}, settings=settings)
    result = run_cli("import", "--site", site, SAMPLES / "quarry.txt")
    assert result.code == 0, result.err
    fm, body = split(imported(site)[0])
    assert fm["title"] == "Quarry expansion rejected after two-day hearing"
    assert fm["url"] == "https://valleyherald.example/news/2025/03/quarry-expansion-rejected"
    assert fm["source"] == {"name": "Valley Herald", "url": "https://valleyherald.example/"}
    assert fm["date"] == "2025-03-04 16:40"
    assert fm["authors"] == ["Priya Okafor"]
    assert fm["imported"]["image"] == {
        "caption": "Lorries queue at the quarry gate on the mill road.",
        "credit": "Sam Lindqvist/Valley Herald",
    }
    assert fm["imported"]["standfirst"] == "Planning inspector cites dust and lorry traffic on the old mill road"
    assert paragraphs(body) == [
        "Plans to double the size of the Hollins Bank quarry were turned down on Tuesday after a two-day public hearing in the village hall.",
        'The inspector said the extra dust and an estimated ninety lorry movements a day would cause "unacceptable harm" to people living along the old mill road.',
        "The quarry's owners said they were disappointed and would study the decision before deciding whether to appeal.",
        "Residents, who had raised money for a planning consultant, gathered outside the hall to hear the result.",
    ]

    built = run_cli("build", "--site", site, "--drafts")  # the build accepts the import: settings too
    assert built.code == 0, built.err
    assert (site / "site/2025/03/04/quarry-expansion-rejected-after-two-day-hearing/index.html").is_file()


def test_without_the_site_rule_its_pattern_is_kept(make_site):
    _, body = import_one(make_site, SAMPLES / "quarry.txt")
    assert "partner offers" in body  # the site's own rule, not the general method, removes it


def test_saved_page_keeps_the_story_and_drops_the_page_around_it(make_site):
    fm, body = import_one(make_site, SAMPLES / "harbour-page.html")
    assert fm["title"] == "Night buses return to the harbour route"
    assert fm["date"] == "2025-06-18 21:05"
    assert fm["source"] == {"name": "The Coastal Ledger", "url": "https://ledger.example/"}
    assert fm["url"] == "https://ledger.example/2025/06/18/night-buses-return"
    assert fm["authors"] == ["Tomas Bell"]
    assert fm["image"] == {
        "src": "https://ledger.example/img/night-bus.jpg",
        "alt": "A double-decker bus at the harbour stop after dark",
        "caption": "The first night bus at the harbour stop.",
        "credit": "Ada Reyes / Ledger Pictures",
    }
    assert "[on a new timetable](https://buses.example/timetables/harbour-night)" in body
    assert "> Our members have been asking for this since the day it stopped." in body
    assert "- the same fares as daytime services" in body
    assert "Councillors will review passenger numbers in December before agreeing a budget for next year." in body
    assert "A spokesperson for the operator said the trial would be judged on safety as much as on fares." in body
    for words in ("Advertisement", "Harbourside Motors", "Weather", "Jobs", "Morning Tide", "inbox", "Comments",
                  "taxi fares", "retail park", "Copyright", "cookies", "Read more", "Ferry fares frozen", "Photo:"):  # fmt: skip
        assert words not in body, words
    for danger in ("<script", "evil.example", "onmouseover", "javascript:", "<iframe", "tracker"):
        assert danger not in body


def test_raw_html_in_pasted_text_is_sanitised(make_site, tmp_path):
    pasted = tmp_path / "raw.txt"
    pasted.write_text(
        "Pier lights switched on for summer\n"
        'The pier\'s new lights were switched on at <b onclick="steal()">nine</b> on Saturday evening.<script>alert(1)</script>\n'
        'Crowds gathered <iframe src="https://evil.example/"></iframe>along the promenade to watch.\n'
        "The [council's page](javascript:alert(2)) lists the [hours](https://council.example/pier) & costs; 3 < 4.\n",
        encoding="utf-8",
    )
    fm, body = import_one(make_site, pasted, "--source-name", "Pier Post")
    assert fm["source"] == "Pier Post"
    assert "<b>nine</b> on Saturday evening." in body
    assert "Crowds gathered along the promenade to watch." in body  # and no double space where the iframe was
    assert "The council's page lists the [hours](https://council.example/pier) & costs; 3 < 4." in body
    for danger in ("onclick", "<script", "alert", "<iframe", "evil.example", "javascript:"):
        assert danger not in body


def test_same_article_again_is_skipped_and_force_rewrites_it(make_site, tmp_path):
    site = make_site({})
    assert run_cli("import", "--site", site, SAMPLES / "ferry.txt").code == 0
    [path] = imported(site)
    first = path.read_bytes()
    path.write_text(
        path.read_text(encoding="utf-8").replace("draft: true", "draft: true\nsummary: Mine."), encoding="utf-8"
    )
    edited = path.read_bytes()
    # The same text pasted again, with other spacing and line ends, is the same article.
    again = tmp_path / "again.txt"
    again.write_text(
        "\n\n".join((SAMPLES / "ferry.txt").read_text(encoding="utf-8").splitlines()) + "\n  \n", encoding="utf-8"
    )
    result = run_cli("import", "--site", site, again)
    assert result.code == 0
    assert "skipped" in result.out and "already imported as" in result.out
    assert result.out.strip().endswith("Imported 0 articles, skipped 1, failed 0.")
    assert path.read_bytes() == edited
    forced = run_cli("import", "--site", site, SAMPLES / "ferry.txt", "--force")
    assert forced.code == 0
    assert path.read_bytes() == first
    assert imported(site) == [path]


def test_a_different_article_never_overwrites_a_file_of_the_same_name(make_site, tmp_path):
    site = make_site({"content/harbour-ferry-returns-to-service-after-six-weeks-of-repairs.md": "mine\n"})
    result = run_cli("import", "--site", site, SAMPLES / "ferry.txt")
    assert result.code == 0
    assert "already exists (--force overwrites it)" in result.out
    assert (site / "content/harbour-ferry-returns-to-service-after-six-weeks-of-repairs.md").read_text() == "mine\n"


def test_dry_run_prints_and_writes_nothing(make_site):
    site = make_site({})
    result = run_cli("import", "--site", site, SAMPLES / "ferry.txt", "--dry-run")
    assert result.code == 0
    assert "would write content/harbour-ferry-returns-to-service-after-six-weeks-of-repairs.md" in result.out.replace(
        str(site) + "/", ""
    )
    assert "title: Harbour ferry returns to service after six weeks of repairs" in result.out
    assert result.out.strip().endswith("Would import 1 article, skipped 0, failed 0.")
    assert not (site / "content").exists()


def test_missing_date_uses_now_with_a_warning_and_titles_are_quoted_safely(make_site, tmp_path):
    pasted = tmp_path / "colon.txt"
    pasted.write_text(
        'Harbour: "the busiest summer yet" - #1 for visitors\nThe harbour had its busiest summer on record, the port said.\n',
        encoding="utf-8",
    )
    site = make_site({})
    result = run_cli("import", "--site", site, pasted)
    assert "warning: no date found" in result.err
    fm, _ = split(imported(site)[0])
    assert fm["title"] == 'Harbour: "the busiest summer yet" - #1 for visitors'
    assert "date" in fm and len(fm["date"]) == 16


def test_bad_sources_fail_one_by_one(make_site, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("Share\nSign up\nAdvertisement\n", encoding="utf-8")
    headless = tmp_path / "headless.txt"
    headless.write_text(
        "The harbour ferry resumed its crossings on Tuesday morning after six weeks in dry dock, and the port authority said the repairs had cost just under two million pounds in all.\n",
        encoding="utf-8",
    )
    odd = tmp_path / "notes.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    site = make_site({})
    result = run_cli("import", "--site", site, empty, headless, tmp_path / "missing.txt", odd, SAMPLES / "ferry.txt")
    assert result.code == 1
    assert f"{empty}: error: no story found" in result.err
    assert f"{tmp_path / 'missing.txt'}: error: no such file or folder" in result.err
    assert f"{odd}: error: unknown kind of input" in result.err
    assert f"{headless}: error: no headline found above the story" in result.err
    assert result.out.strip().endswith("Imported 1 article, skipped 0, failed 4.")


def test_import_settings_errors_name_file_line_and_key(make_site):
    settings = (
        SETTINGS
        + "import:\n  timeout: soon\n  drop: ['(unclosed']\n  sources:\n    - name: X\n      colour: red\n  extra: 1\n"
    )
    site = make_site({}, settings=settings)
    result = run_cli("import", "--site", site, SAMPLES / "ferry.txt")
    assert result.code == 1
    lines = result.err.splitlines()
    assert any(ln.endswith("broadsheet.yaml:5: import.timeout: expected a number of seconds above 0") for ln in lines)
    assert any("broadsheet.yaml:6: import.drop: invalid regular expression '(unclosed'" in ln for ln in lines)
    assert any(
        ln.endswith(
            "broadsheet.yaml:9: import.sources[0].colour: unknown key (expected one of: banner, drop, hosts, name)"
        )
        for ln in lines
    )
    assert any("broadsheet.yaml:10: import.extra: unknown setting" in ln for ln in lines)
    assert not (site / "content").exists()


def test_banner_and_site_wide_drop_rules(make_site, tmp_path):
    pasted = tmp_path / "gazette.txt"
    pasted.write_text(
        "Hillside Gazette Local Edition\n"
        "Listen to this story (4 min)\n"
        "Allotment waiting list falls for the first time in a decade\n"
        "Listen to this story (4 min)\n"
        "The waiting list for the town's allotments fell to 212 names this spring, the council said.\n"
        "Gazette Plus: unlock every story\n"
        "New plots beside the depot café opened in April, at £12 a year.\n",
        encoding="utf-8",
    )
    settings = SETTINGS + (
        "import:\n  drop: ['^Listen to this story']\n  sources:\n"
        "    - name: Hillside Gazette\n      banner: ['Local Edition$']\n      drop: ['^Gazette Plus:']\n"
    )
    fm, body = import_one(make_site, pasted, "--source-name", "Hillside Gazette", settings=settings)
    assert fm["title"] == "Allotment waiting list falls for the first time in a decade"
    assert paragraphs(body) == [
        "The waiting list for the town's allotments fell to 212 names this spring, the council said.",
        "New plots beside the depot café opened in April, at £12 a year.",
    ]


def test_a_tag_without_letters_is_a_usage_error(make_site):
    site = make_site({})
    result = run_cli("import", "--site", site, SAMPLES / "ferry.txt", "--tags", "Harbour,!!")
    assert result.code == 2
    assert "--tags: tag '!!' has no letters or digits" in result.err
    assert not (site / "content").exists()


def test_story_sentences_with_boilerplate_words_are_kept(make_site):
    fm, body = import_one(make_site, SAMPLES / "council.txt", "--source-name", "The Coastal Ledger")
    assert fm["title"] == "Council backs free night parking to support harbour trade"
    assert fm["date"] == "2025-05-02 00:00"
    story = (SAMPLES / "council.txt").read_text(encoding="utf-8").splitlines()[4:14]
    assert paragraphs(body) == story


def test_menu_lines_labelled_photo_lines_and_byline_roles(make_site):
    fm, body = import_one(make_site, SAMPLES / "dunes.txt")
    assert fm["title"] == "Dunes project wins funding to protect rare toads"
    assert fm["date"] == "2025-04-03 00:00"
    assert fm["authors"] == ["Jo Hart"]
    assert fm["imported"]["image"] == {
        "caption": "Natterjack toads breed in the shallow pools behind the dunes",
        "credit": "Coast Trust",
    }
    assert paragraphs(body) == [
        "A project to restore the dunes at Marram Point has won lottery funding, the trust that runs the reserve said.",
        "Volunteers will clear scrub from the pools where the toads breed.",
    ]


def test_a_masthead_named_again_without_its_article_is_the_outlet(make_site):
    """Found trying the wheel as a new user: "THE RIVERTON POST" at the top, "Riverton Post" in
    the credit and the copyright line, and "Local" in the menu and over the headline."""
    fm, body = import_one(make_site, SAMPLES / "library.txt")
    assert fm["source"] == "The Riverton Post"
    assert fm["imported"]["standfirst"] == "The branch on Mill Street had been closed since the spring storms"
    assert (
        paragraphs(body)[-1] == "Opening hours will return to normal from next week, with late evenings on Thursdays."
    )
    assert "newsletter" not in body and "inbox" not in body
