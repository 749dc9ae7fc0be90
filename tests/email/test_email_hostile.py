"""`broadsheet email --send` with hostile input: recipient lines that are more (or less) than
one address, and control characters in titles and email settings. Each is a clear error
naming its file and line, exit 1, and the real SMTP server on 127.0.0.1 receives nothing."""

from __future__ import annotations

import pytest

from conftest import article, run_cli
from test_email_send import sending_site, smtp_server

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

HOSTILE_LINES = [
    "Bcc: evil@example.com",
    "a@example.org, b@example.org",
    "a\x00b@example.org",
    "RCPT TO:<y@example.org>",
    "x@.org",
    "x@org",
    "x@example..org",
    "Ann <ann@example.org>",
    "ann@example.org (comment)",
    "ann@[127.0.0.1]",
    "ann@-example.org",
    "ann\x1b@example.org",
]


@pytest.mark.parametrize("line", HOSTILE_LINES)
def test_a_line_that_is_not_exactly_one_address_stops_the_run(make_site, line):
    with smtp_server() as (server, port):
        site = sending_site(make_site, port)
        (site / "subscribers.txt").write_text(
            f"ann@example.org\n# readers\n{line}\nbob@example.net\n", encoding="utf-8"
        )
        result = run_cli("email", "--site", site, "--send")
    assert result.code == 1, result.out
    [problem] = [ln for ln in result.err.splitlines() if "subscribers.txt:" in ln]
    assert "/subscribers.txt:3: recipient: " in problem and "expected one address a line" in problem
    assert "Nothing was sent" in result.err and "Traceback" not in result.err
    assert server.received == []


def test_plain_and_quoted_addresses_still_go_out(make_site):
    with smtp_server() as (server, port):
        site = sending_site(make_site, port)
        (site / "subscribers.txt").write_text(
            'ann@example.org\n"ann smith"@example.org\nbob+news@xn--bcher-kva.example\n', encoding="utf-8"
        )
        result = run_cli("email", "--site", site, "--send")
    assert result.code == 0, result.err
    assert [m["to"] for m in server.received] == [
        ["ann@example.org"],
        ['"ann smith"@example.org'],
        ["bob+news@xn--bcher-kva.example"],
    ]


@pytest.mark.parametrize("title", ['"Talks\\nresume"', '"Talks\\u2028resume"'])
def test_a_control_character_in_a_title_names_the_article(make_site, title):
    with smtp_server() as (server, port):
        site = sending_site(make_site, port)
        (site / "content/world/a.md").write_text(article(title, "2025-06-19 12:00"), encoding="utf-8")  # the lead story
        settings = (site / "broadsheet.yaml").read_text(encoding="utf-8")
        (site / "broadsheet.yaml").write_text(
            settings.replace("email:\n", 'email:\n  subject: "{headline}"\n'), encoding="utf-8"
        )
        result = run_cli("email", "--site", site, "--send")
    assert result.code == 1
    assert "Traceback" not in result.err
    [problem] = result.err.splitlines()
    assert "a.md:2: title: has a control character" in problem
    assert server.received == []


@pytest.mark.parametrize("title", ['"Talks\\rBcc: evil@example.com"', '"Talks\\x00resume"'])
def test_control_characters_stripped_from_a_title_never_reach_the_headers(make_site, title):
    """Front matter loses C0 controls but tab and newline as it is read (issue 15, item 8):
    such a title is sent, as one line, with no header of its own."""
    with smtp_server() as (server, port):
        site = sending_site(make_site, port)
        (site / "content/world/a.md").write_text(article(title, "2025-06-19 12:00"), encoding="utf-8")  # the lead story
        (site / "subscribers.txt").write_text("ann@example.org\n", encoding="utf-8")
        settings = (site / "broadsheet.yaml").read_text(encoding="utf-8")
        (site / "broadsheet.yaml").write_text(
            settings.replace("email:\n", 'email:\n  subject: "{headline}"\n'), encoding="utf-8"
        )
        result = run_cli("email", "--site", site, "--send")
    assert result.code == 0, result.err
    assert server.received
    for sent in server.received:
        assert sent["message"]["Bcc"] is None and len(sent["to"]) == 1
        assert sent["message"]["Subject"].startswith("Talks") and "\n" not in sent["message"]["Subject"]


SETTINGS_CASES = {
    "from": 'from: "Test Digest <digest@example.org>\\nBcc: evil@example.com"',
    "reply_to": 'reply_to: "editor@example.org\\r\\nBcc: evil@example.com"',
    "subject": 'subject: "{site}\\nBcc: evil@example.com"',
    "list_unsubscribe": 'list_unsubscribe: "mailto:leave@example.org\\nBcc: evil@example.com"',
}


@pytest.mark.parametrize("key", sorted(SETTINGS_CASES))
def test_a_control_character_in_an_email_setting_names_it(make_site, key):
    with smtp_server() as (server, port):
        site = sending_site(make_site, port)
        settings = (site / "broadsheet.yaml").read_text(encoding="utf-8")
        kept = [ln for ln in settings.splitlines() if not ln.startswith(f"  {key}:")]
        at = kept.index("email:") + 1
        kept.insert(at, f"  {SETTINGS_CASES[key]}")
        (site / "broadsheet.yaml").write_text("\n".join(kept) + "\n", encoding="utf-8")
        result = run_cli("email", "--site", site, "--send")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert f"broadsheet.yaml:{at + 1}: email.{key}: " in result.err, result.err
    assert server.received == []
