"""`broadsheet email --send` against a real SMTP server (aiosmtpd) on 127.0.0.1, over a
plain connection, STARTTLS and implicit TLS with a certificate authority made in the test."""

from __future__ import annotations

import email
import socket
import ssl
from contextlib import contextmanager
from email import policy
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from broadsheet.email.mailing import RateLimit

from conftest import article, run_cli

pytestmark = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS"
)  # the test servers on 127.0.0.1

PASSWORD_VARIABLE = "BROADSHEET_TEST_SMTP_PASSWORD"


class Recorder:
    """An SMTP handler that keeps what it receives and refuses any mailbox named refuse@."""

    def __init__(self) -> None:
        self.received: list[dict] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse@"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append({
            "from": envelope.mail_from, "to": list(envelope.rcpt_tos), "tls": server.transport.get_extra_info("ssl_object") is not None,
            "message": email.message_from_bytes(envelope.original_content, policy=policy.default),
        })  # fmt: skip
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(**options):
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def sending_site(make_site, port: int, security: str = "none", login: bool = False) -> Path:
    smtp = f"    host: 127.0.0.1\n    port: {port}\n    security: {security}\n    rate_per_minute: 60000\n"
    if login:
        smtp += f"    username: digest\n    password_env: {PASSWORD_VARIABLE}\n"
    settings = (
        "title: Test Digest\nbase_url: https://example.org/\ntimezone: Europe/London\n"
        'email:\n  from: "Test Digest <digest@example.org>"\n  list_unsubscribe: mailto:leave@example.org\n'
        "  recipients: subscribers.txt\n  smtp:\n" + smtp
    )
    return make_site({
        "content/world/a.md": article("Talks resume in the valley", "2025-06-19 09:00", "Both sides returned to the table."),
        "content/world/b.md": article("Ferry service restored", "2025-06-19 11:00", "Crossings run again from Monday."),
        "subscribers.txt": "# readers of the digest\nann@example.org\n\nrefuse@example.org\n  bob@example.net  \n",
    }, settings)  # fmt: skip


def test_sends_one_message_to_each_address_and_reports_a_refused_one(make_site):
    with smtp_server() as (server, port):
        site = sending_site(make_site, port)
        result = run_cli("email", "--site", site, "--send")
    assert result.code == 1
    assert "Sent 2, failed 1" in result.out
    assert "refuse@example.org: not sent: refused: 550 5.1.1 No such mailbox here" in result.err
    assert [r["to"] for r in server.received] == [["ann@example.org"], ["bob@example.net"]]
    for received in server.received:
        message = received["message"]
        assert received["from"] == "digest@example.org" and not received["tls"]
        assert message["To"] == received["to"][0]
        assert message["Subject"] == "Test Digest - Thursday, June 19, 2025"
        assert message["List-Unsubscribe"] == "<mailto:leave@example.org>"
        text = message.get_body(("plain",)).get_content()
        assert "Talks resume in the valley" in text and "Ferry service restored" in text
        assert "<style" not in message.get_body(("html",)).get_content()
    # Every copy is the same newsletter: one Message-ID, the one in the written file.
    written = email.message_from_bytes((site / "newsletter-2025-06-19.eml").read_bytes(), policy=policy.default)
    assert {r["message"]["Message-ID"] for r in server.received} == {written["Message-ID"]}


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """A certificate authority of the test's own and a certificate for 127.0.0.1: (server context, CA file)."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server, ca_file


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_a_login_with_the_password_from_the_environment(make_site, monkeypatch, authority, security):
    server_context, ca_file = authority
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the client trusts the test's CA through the default context
    monkeypatch.setenv(PASSWORD_VARIABLE, "s3cret word")
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(
            success=auth_data.password == b"s3cret word", handled=False
        )  # handled=False: aiosmtpd answers

    if security == "starttls":
        tls = {"tls_context": server_context, "require_starttls": True}
    else:  # aiosmtpd counts only STARTTLS as TLS when it decides to offer AUTH
        tls = {"ssl_context": server_context, "auth_require_tls": False}
    with smtp_server(authenticator=authenticator, auth_required=True, **tls) as (server, port):
        result = run_cli("email", "--site", sending_site(make_site, port, security, login=True), "--send")
    assert "Sent 2, failed 1" in result.out, result.err
    assert logins == [(b"digest", b"s3cret word")]  # one connection for the whole list
    assert [r["tls"] for r in server.received] == [True, True]


def test_a_wrong_password_is_one_clear_error(make_site, monkeypatch, authority):
    monkeypatch.setenv(PASSWORD_VARIABLE, "guess")
    refuse = lambda server, session, envelope, mechanism, auth_data: AuthResult(success=False, handled=False)  # noqa: E731
    with smtp_server(authenticator=refuse, auth_required=True, auth_require_tls=False) as (server, port):
        result = run_cli("email", "--site", sending_site(make_site, port, login=True), "--send")
    assert result.code == 1 and f"127.0.0.1:{port} refused the login for digest: 535" in result.err
    assert server.received == []


def test_no_password_in_the_environment_sends_nothing(make_site, monkeypatch):
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    with smtp_server() as (server, port):
        result = run_cli("email", "--site", sending_site(make_site, port, login=True), "--send")
    assert result.code == 1
    assert (
        f"the environment variable {PASSWORD_VARIABLE} (email.smtp.password_env) is not set; nothing was sent"
        in result.err
    )
    assert server.received == []


def test_dry_run_prints_what_would_be_sent_without_connecting(make_site):
    with smtp_server() as (server, port):
        result = run_cli("email", "--site", sending_site(make_site, port), "--dry-run")
    assert result.code == 0, result.err
    assert (
        f"would send 'Test Digest - Thursday, June 19, 2025' from Test Digest <digest@example.org> to 3 addresses via 127.0.0.1:{port}"
        in result.out
    )
    assert "  ann@example.org\n  refuse@example.org\n  bob@example.net\n" in result.out
    assert server.received == []


def test_a_bad_recipient_list_is_reported_by_line_and_nothing_is_sent(make_site):
    with smtp_server() as (server, port):
        site = sending_site(make_site, port)
        (site / "subscribers.txt").write_text("ann@example.org\n# a comment\nnot an address\nann@example.org\nbob@\n")
        result = run_cli("email", "--site", site, "--send")
    assert result.code == 1
    assert "subscribers.txt:3: recipient: 'not an address' is not an email address" in result.err
    assert "subscribers.txt:5: recipient: 'bob@' is not an email address" in result.err
    assert "subscribers.txt:4: warning: ann@example.org is already on line 1; sent once" in result.err
    assert "Nothing was sent" in result.err and server.received == []


def test_an_unreachable_server_is_one_clear_error(make_site):
    port = free_port()  # nothing listens there
    result = run_cli("email", "--site", sending_site(make_site, port), "--send")
    assert result.code == 1
    assert f"cannot connect to 127.0.0.1:{port} (none)" in result.err and "nothing was sent" in result.err


def test_no_recipient_list_is_an_error(make_site, tmp_path):
    with smtp_server() as (server, port):
        site = sending_site(make_site, port)
        result = run_cli("email", "--site", site, "--send", "--recipients", tmp_path / "missing.txt")
    assert result.code == 1 and "missing.txt: cannot read the recipient list" in result.err


def test_rate_limit_spaces_messages_evenly():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(30, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limit.wait()
    assert slept == [2.0, 2.0]  # 30 a minute: one every two seconds
    now[0] += 5  # a slow send uses up the wait
    limit.wait()
    assert slept == [2.0, 2.0]
