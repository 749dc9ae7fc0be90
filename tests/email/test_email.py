"""`broadsheet email`: the message is parsed back with the standard library's email parser,
and its HTML with html.parser, and checked part by part."""

from __future__ import annotations

import email
import re
from email import policy
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental.state import BuildState

from conftest import SETTINGS, article, examples, run_cli, tree_bytes, write_tree
from edits import apply, check_incremental_equals_clean, operations

EMAIL_SETTINGS = """\
title: Test Digest
base_url: https://example.org/digest/
timezone: Europe/London
email:
  from: "Test Digest <digest@example.org>"
  reply_to: editor@example.org
  subject: "{site} - {date} ({count})"
  list_unsubscribe: [mailto:leave@example.org, https://example.org/leave]
  utm: {source: letter, medium: email, campaign: "ed-{edition}"}
"""

STORIES = {
    "content/world/summit.md": article(
        "Leaders meet at the lake summit",
        "2025-06-19 09:00",
        "Leaders agreed on a [joint line](../business/rates.md) about trade and said little else.\n\nA second paragraph.",
        source="{name: Lakeside Wire, url: https://wire.example.net}",
        url="https://wire.example.net/summit",
        summary="Leaders agreed on a joint line about trade & tariffs after two days of talks.",
        image="{src: /images/lake.jpg, alt: The lake at dawn, caption: The summit venue}",
    ),
    "content/business/rates.md": article(
        "Central bank keeps its rate on hold",
        "2025-06-19 14:30",
        "The bank held its rate for a third meeting. [Background](https://elsewhere.example.com/x).",
        source="Money Daily",
        url="https://money.example.com/rates",
        featured="true",
    ),
    "content/science/comet.md": article(
        "A comet brightens for a week", "2025-06-18 21:00", "Observers saw a green comet brighten."
    ),
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def email_site(make_site, settings: str = EMAIL_SETTINGS, extra: dict[str, str] | None = None) -> Path:
    return make_site({**STORIES, **(extra or {})}, settings)


def make_message(site: Path, *args: str) -> email.message.EmailMessage:
    out = site.parent / "letter.eml"
    result = run_cli("email", "--site", site, "--output", out, *args)
    assert result.code == 0, result.err
    return email.message_from_bytes(out.read_bytes(), policy=policy.default)


def parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_message_has_text_and_html_alternatives_and_headers(make_site):
    message = make_message(email_site(make_site), "2025-06-19")
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "Test Digest - Thursday, June 19, 2025 (2)"  # the site language en: Babel's US English
    assert message["From"] == "Test Digest <digest@example.org>"
    assert message["Reply-To"] == "editor@example.org"
    assert message["List-Unsubscribe"] == "<mailto:leave@example.org>, <https://example.org/leave>"
    assert re.fullmatch(r"<edition-2025-06-19\.[0-9a-f]{16}@example\.org>", message["Message-ID"])
    # The Date is the edition's newest story, not the moment the command ran.
    assert parsedate_to_datetime(message["Date"]).isoformat() == "2025-06-19T14:30:00+01:00"
    assert message["To"] is None  # set per recipient when sending


def test_html_has_its_styles_inlined_and_every_url_absolute(make_site):
    _, html = parts(make_message(email_site(make_site), "2025-06-19"))
    assert "<style" not in html.lower() and "<link" not in html.lower()
    tags = tags_of(html)
    styled = {tag for tag, attrs in tags if attrs.get("style")}
    assert {"body", "h2", "p", "a", "img", "div"} <= styled
    assert any("max-width: 600px" in (attrs.get("style") or "") for _, attrs in tags)
    assert not any(tag == "table" for tag, _ in tags)
    # The summary's own HTML (from Markdown) is styled by the template's rules too.
    assert re.search(r'<a href="https://elsewhere\.example\.com/x" style="[^"]*color', html)
    metas = {attrs.get("name"): attrs.get("content") for tag, attrs in tags if tag == "meta"}
    assert metas["color-scheme"] == "light dark" and metas["supported-color-schemes"] == "light dark"
    for tag, attrs in tags:
        for name in ("href", "src"):
            url = attrs.get(name)
            if url is None:
                continue
            parsed = urlsplit(url)
            assert parsed.scheme in ("https", "mailto"), f"<{tag} {name}={url!r}> is not absolute"
            if url.startswith("https://example.org/digest/"):
                assert parse_qs(parsed.query) == {
                    "utm_source": ["letter"],
                    "utm_medium": ["email"],
                    "utm_campaign": ["ed-2025-06-19"],
                }, url
            else:  # other sites' links are left as they are
                assert "utm_" not in url
    images = [attrs for tag, attrs in tags if tag == "img"]
    assert images == [images[0]] and images[0]["alt"] == "The lake at dawn"
    assert images[0]["src"].startswith("https://example.org/digest/images/lake.jpg")


def test_html_links_to_the_stories_the_browser_view_and_the_unsubscribe_link(make_site):
    _, html = parts(make_message(email_site(make_site), "2025-06-19"))
    hrefs = [attrs["href"] for tag, attrs in tags_of(html) if tag == "a"]
    utm = "?utm_source=letter&utm_medium=email&utm_campaign=ed-2025-06-19"
    assert hrefs[0] == "https://example.org/digest/2025/06/19/" + utm  # "view in browser": the edition page
    assert "https://example.org/digest/2025/06/19/central-bank-keeps-its-rate-on-hold/" + utm in hrefs
    # A link between articles inside a summary is made absolute from the site's base path.
    assert "https://wire.example.net/summit" in hrefs and "https://money.example.com/rates" in hrefs
    assert hrefs[-1] == "mailto:leave@example.org"
    # The featured story leads.
    titles = re.findall(r"<h2[^>]*><a[^>]*>([^<]+)</a>", html)
    assert titles == ["Central bank keeps its rate on hold", "Leaders meet at the lake summit"]


LONG_TITLE = (
    "Negotiators from eleven river states agree on a water-sharing plan after a night of talks in the old customs house"
)


def test_plain_text_part_holds_every_story(make_site):
    site = email_site(
        make_site, extra={"content/world/river.md": article(LONG_TITLE, "2025-06-19 08:00", "A short report.")}
    )
    text, _ = parts(make_message(site, "2025-06-19"))
    flat = " ".join(text.split())
    for title, source, link in [
        ("Leaders meet at the lake summit", "Lakeside Wire", "https://wire.example.net/summit"),
        ("Central bank keeps its rate on hold", "Money Daily", "https://money.example.com/rates"),
    ]:
        assert title in flat and source in flat and link in flat
    assert "Leaders agreed on a joint line about trade & tariffs after two days of talks." in flat  # unescaped
    assert "The bank held its rate for a third meeting." in flat
    assert "https://example.org/digest/2025/06/19/leaders-meet-at-the-lake-summit/?utm_source=letter" in flat
    assert "View this edition in your browser: https://example.org/digest/2025/06/19/?utm_source=letter" in flat
    assert "comet" not in flat  # another day's story
    assert LONG_TITLE in flat and "\n   " in text  # a long title wraps with a hanging indent
    assert "<" not in text and "&amp;" not in text
    assert max(len(line) for line in text.splitlines() if "http" not in line) <= 78


def test_same_site_gives_the_same_bytes_and_an_edit_a_new_message_id(make_site, tmp_path):
    site = email_site(make_site)
    first, second = tmp_path / "a.eml", tmp_path / "b.eml"
    assert run_cli("email", "--site", site, "--output", first).code == 0
    assert run_cli("build", "--site", site).code == 0  # the second run reads the articles from the build cache
    assert run_cli("email", "--site", site, "--output", second).code == 0
    assert first.read_bytes() == second.read_bytes()
    write_tree(site, {"content/business/rates.md": STORIES["content/business/rates.md"].replace("third", "fourth")})
    assert run_cli("email", "--site", site, "--output", second).code == 0
    ids = [email.message_from_bytes(p.read_bytes(), policy=policy.default)["Message-ID"] for p in (first, second)]
    assert ids[0] != ids[1] and ids[0].split(".")[0] == ids[1].split(".")[0] == "<edition-2025-06-19"


def test_the_latest_edition_by_default_and_editions_by_date_or_week(make_site):
    site = email_site(make_site)
    result = run_cli("email", "--site", site)
    assert result.code == 0, result.err
    assert (site / "newsletter-2025-06-19.eml").is_file() and "2 stories" in result.out
    assert "A comet brightens" in parts(make_message(site, "2025-06-18"))[0]
    missing = run_cli("email", "--site", site, "2025-06-01")
    assert missing.code == 1 and "no edition '2025-06-01'" in missing.err and "2025-06-19, 2025-06-18" in missing.err
    weekly = email_site(make_site, EMAIL_SETTINGS + "edition: week\n")
    for wanted in ("2025-W25", "2025-w25", "2025-06-17"):
        message = make_message(weekly, wanted)
        assert message["Subject"] == "Test Digest - Week of June 16, 2025 (3)"
        assert "<edition-2025-W25." in message["Message-ID"]


def test_a_site_template_overrides_the_email_template_and_is_inlined_too(make_site):
    override = (
        "<!DOCTYPE html><html><head><style>.lead { color: #123456; } a { color: #654321; }</style></head><body>"
        '{% for entry in edition.entries %}<p class="lead"><a href="{{ entry.url }}">{{ entry.title }}</a></p>{% endfor %}'
        '<a href="{{ unsubscribe_url }}">Leave</a></body></html>'
    )
    site = email_site(make_site, EMAIL_SETTINGS.replace("  list_unsubscribe: [mailto:leave@example.org, https://example.org/leave]\n", ""),
                      {"templates/email/edition.html": override})  # fmt: skip
    message = make_message(site, "2025-06-19", "--now", "2025-06-20T08:00:00+00:00")
    assert message["List-Unsubscribe"] is None  # not configured
    assert (
        parsedate_to_datetime(message["Date"]).isoformat() == "2025-06-20T09:00:00+01:00"
    )  # --now, in the site's zone
    _, html = parts(message)
    assert "<style" not in html and '<p class="lead" style="color: #123456;">' in html
    assert '<a href="https://example.org/digest/2025/06/19/leaders-meet-at-the-lake-summit/?utm_source=letter' in html
    # With no List-Unsubscribe configured, the unsubscribe link is a merge tag, kept as it is.
    assert '<a href="*|UNSUB|*" style="color: #654321;">Leave</a>' in html


def test_published_email_page_is_the_message_html(make_site, tmp_path):
    site = email_site(make_site, EMAIL_SETTINGS + "  publish: true\n")
    assert run_cli("build", "--site", site).code == 0
    published = site / "site" / "2025" / "06" / "19" / "email.html"
    assert (site / "site" / "2025" / "06" / "18" / "email.html").is_file()
    _, html = parts(make_message(site, "2025-06-19"))
    assert published.read_text(encoding="utf-8") == html.replace("\r\n", "\n").rstrip("\n")
    # "View in browser" opens the published newsletter itself.
    assert 'href="https://example.org/digest/2025/06/19/email.html?utm_source=letter' in html
    assert "email.html" not in (site / "site" / "sitemap.xml").read_text()


def test_incremental_build_with_published_emails_equals_a_clean_build(make_site, tmp_path):
    site = email_site(make_site, EMAIL_SETTINGS + "  publish: true\n")
    state = BuildState()
    assert build(BuildRequest(site), state).ok
    write_tree(site, {
        "content/business/rates.md": STORIES["content/business/rates.md"].replace("third", "fourth"),
        "templates/email/edition.html": "<html><head><style>p { color: #333333; }</style></head><body>"
                                        "{% for e in edition.entries %}<p>{{ e.title }}</p>{% endfor %}</body></html>",
    })  # fmt: skip
    report = build(BuildRequest(site), state)
    assert report.ok and "2025/06/19/email.html" in report.changed
    clean = tmp_path / "clean"
    assert build(BuildRequest(site, output=clean)).ok
    assert tree_bytes(site / "site") == tree_bytes(clean)
    assert (
        '<p style="color: #333333;">Central bank keeps its rate on hold</p>'
        in (clean / "2025/06/19/email.html").read_text()
    )


def email_problems(err: str, site: Path) -> list[str]:
    """The problem lines on stderr, paths relative to the site, and never a traceback."""
    assert "Traceback" not in err, err
    return [line[len(f"{site}/") :] for line in err.splitlines() if line.startswith(f"{site}/")]


def test_a_template_error_under_email_is_reported_as_build_reports_it(make_site):
    site = email_site(make_site, EMAIL_SETTINGS + "  publish: true\n")
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site)
    theme = (Path(__file__).resolve().parents[2] / "broadsheet/theme/templates/email/edition.html").read_text(
        encoding="utf-8"
    )
    broken = theme.replace("<body", "{{ 1 / 0 }}\n<body", 1)
    line = broken[: broken.index("{{ 1 / 0 }}")].count("\n") + 1
    (site / "templates/email").mkdir(parents=True)
    (site / "templates/email/edition.html").write_text(broken, encoding="utf-8")
    expected = [f"templates/email/edition.html:{line}: template: division by zero"]
    mailed = run_cli("email", "--site", site, "2025-06-19")
    assert mailed.code == 1 and email_problems(mailed.err, site) == expected
    built = run_cli("build", "--site", site)
    assert built.code == 1 and email_problems(built.err, site) == expected
    (site / "templates/email/edition.html").unlink()
    (site / "templates/email").rmdir()
    (site / "templates").rmdir()
    assert tree_bytes(site) == before  # no message written, the site as it was


def test_wrong_email_settings_are_reported_with_their_lines(make_site):
    settings = EMAIL_SETTINGS.replace('  subject: "{site} - {date} ({count})"\n', '  subject: "{site} {when}"\n') + (
        "  smtp:\n    host: smtp.example.org\n    password: hunter2\n    security: ssl\n"
    )
    result = run_cli("email", "--site", email_site(make_site, settings))
    assert result.code == 1
    assert "broadsheet.yaml:7: email.subject: expected a pattern such as '{site} - {date}'" in result.err
    assert "broadsheet.yaml:12: email.smtp.password: a password does not belong in the settings file: " \
           "put it in an environment variable named by smtp.password_env" in result.err  # fmt: skip
    assert "broadsheet.yaml:13: email.smtp.security: expected 'starttls', 'tls' or 'none'" in result.err
    assert run_cli("build", "--site", email_site(make_site, settings)).code == 1  # the build refuses it too


def test_a_sender_is_needed(make_site):
    site = email_site(make_site, "title: Test Digest\nbase_url: https://example.org/\nemail: {utm: {source: x}}\n")
    result = run_cli("email", "--site", site)
    assert result.code == 1 and "email.from: is missing" in result.err
    assert not list(site.glob("*.eml"))


def test_an_output_that_cannot_be_written_is_one_clear_error(make_site, tmp_path):
    result = run_cli("email", "--site", email_site(make_site), "--output", tmp_path)
    assert result.code == 1 and "cannot write" in result.err and "Is a directory" in result.err


def test_a_bundle_summary_links_to_its_own_files_from_its_article_page(make_site):
    bundle = article(
        "Chart of the week", "2025-06-19 10:00", "See [the chart](chart.svg) for the figures.<!--more--> More."
    )
    _, html = parts(
        make_message(
            email_site(
                make_site, extra={"content/science/chart/index.md": bundle, "content/science/chart/chart.svg": "<svg/>"}
            ),
            "2025-06-19",
        )
    )
    assert 'href="https://example.org/digest/2025/06/19/chart-of-the-week/chart.svg?utm_source=letter' in html


PUBLISHING = SETTINGS + "email:\n  publish: true\n  utm: {source: letter}\n"
EMAIL_TEMPLATES = [
    None,
    "<p>{{ edition.key }}</p>\n",
    "<style>p { color: #111111; }</style><p>{{ heading }}</p>\n",
    "{% if %}",
]


@st.composite
def newsletter_operations(draw):
    """The invariant test's edits, plus edits of the email template; settings edits keep publishing on."""
    if draw(st.integers(0, 4)) == 0:
        return ("email template", draw(st.sampled_from(EMAIL_TEMPLATES)))
    op = draw(operations())
    return ("publishing settings", *op[1:]) if op[0] == "settings" else op


def apply_newsletter(site: Path, op: tuple) -> set[str]:
    if op[0] == "email template":
        if op[1] is None:
            (site / "templates/email/edition.html").unlink(missing_ok=True)
        else:
            write_tree(site, {"templates/email/edition.html": op[1]})
        return {"templates/email/edition.html"}
    if op[0] == "publishing settings":
        write_tree(site, {"broadsheet.yaml": PUBLISHING + f"edition: {op[1]}\ntitle: {op[2]}\n"})
        return {"broadsheet.yaml"}
    return apply(site, op)


@hypothesis_settings(max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(newsletter_operations(), st.booleans()), min_size=1, max_size=6))
def test_incremental_equals_clean_with_published_newsletters(ops):
    check_incremental_equals_clean(ops, PUBLISHING, apply_newsletter)


def test_the_newsletter_speaks_the_site_s_language(make_site):
    text, html = parts(make_message(email_site(make_site, EMAIL_SETTINGS + "language: ru\n"), "2025-06-19"))
    for words in (
        "Открыть этот выпуск в браузере",
        "Читать на сайте Test Digest",
        "Отписаться",
        "четверг, 19 июня 2025",
    ):
        assert words in html, words
    assert "Читать на сайте Test Digest: https://example.org/digest/" in text and "Unsubscribe" not in text


# --- stories (issue 20): the newsletter groups a story as the edition page does -------------

STORY_REPORTS = {
    "content/business/rates-daily.md": article(
        "Rates held for a third meeting", "2025-06-19 15:10", "The bank's board voted to hold.",
        source="Ledger Daily", story="rates",
    ),
    "content/business/rates-radio.md": article(
        "Board leaves the rate unchanged", "2025-06-19 16:00", "A unanimous vote, the board said.",
        source="City Radio", story="rates", lang="de",
    ),
}  # fmt: skip


def test_the_newsletter_shows_a_story_once_with_the_other_outlets(make_site):
    """The featured report leads its story (the Money Daily one); the two other outlets'
    reports are named under it, each linking to its own page, then the story's page."""
    settings = EMAIL_SETTINGS + "stories:\n  auto: false\n"
    rates = {
        "content/business/rates.md": STORIES["content/business/rates.md"].replace("---\nThe", "story: rates\n---\nThe")
    }
    site = email_site(make_site, settings, {**rates, **STORY_REPORTS})
    message = make_message(site, "2025-06-19")
    text, html = parts(message)
    text = text.replace("\r\n", "\n")  # as sent: SMTP's line ends
    assert message["Subject"] == "Test Digest - Thursday, June 19, 2025 (2)"  # two stories, not four reports
    titles = re.findall(r"<h2[^>]*><a[^>]*>([^<]+)</a>", html)
    assert titles == ["Central bank keeps its rate on hold", "Leaders meet at the lake summit"]
    utm = "?utm_source=letter&utm_medium=email&utm_campaign=ed-2025-06-19"
    page = "https://example.org/digest/2025/06/19/"
    (also,) = re.findall(r'<p class="also"[^>]*>(.*?)</p>', html, re.S)
    assert "Also reported by" in also
    links = [(attrs["href"], attrs.get("lang")) for tag, attrs in tags_of(also) if tag == "a"]
    assert links == [
        (page + "rates-held-for-a-third-meeting/" + utm, None),
        (page + "board-leaves-the-rate-unchanged/" + utm, "de"),
        ("https://example.org/digest/stories/rates/" + utm, None),
    ]
    names = re.findall(r"<a [^>]*>([^<]+)</a>", also)
    assert names == ["Ledger Daily", "City Radio", "Full coverage"]
    assert " ".join(re.sub(r"<[^>]+>", "", also).split()) == "Also reported by Ledger Daily, City Radio · Full coverage"
    assert re.search(r'<p class="also" style="[^"]*font-family', html)  # styled inline, as every block is
    # the plain-text part alike: the lead once, then the other outlets and the story page
    assert text.count("1. ") == 1 and "3. " not in text and "Rates held for a third meeting" not in text
    lead = text.index("1. Central bank keeps its rate on hold")
    block = text[lead : text.index("2. ")]
    assert (
        "\n\nAlso reported by:\n- Ledger Daily: " + page + "rates-held-for-a-third-meeting/?utm_source=letter" in block
    )
    assert "- City Radio: " + page + "board-leaves-the-rate-unchanged/?utm_source=letter" in block
    assert "Full coverage: https://example.org/digest/stories/rates/?utm_source=letter" in block
    assert "Also reported by" not in text[text.index("2. ") :]  # an article alone has no such line
