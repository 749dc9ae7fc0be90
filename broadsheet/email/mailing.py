"""A newsletter -> each address of a list, over SMTP: one message per recipient, at most
N a minute, every failure reported by address without stopping the others."""

from __future__ import annotations

import copy
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.errors import HeaderParseError, MessageDefect
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from broadsheet.build.config import SmtpSettings, control_character
from broadsheet.problems import Problem, not_utf8

MAX_LIST_BYTES = 10 * 1024 * 1024
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE | re.ASCII)  # one part of a host name
EXPECTED = "expected one address a line and nothing else, such as reader@example.org"
TIMEOUT = 60  # seconds to wait on the server before giving up on it


class SendError(Exception):
    """Nothing could be sent: no password, no connection, refused login."""


def read_recipients(path: Path, shown: str) -> tuple[list[str], list[Problem]]:
    """One address a line; blank lines and lines starting with # are skipped. `shown` is
    the file's name in messages. A second copy of an address is left out with a warning."""
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            return [], [Problem(shown, 0, "", f"recipient list is over the {MAX_LIST_BYTES // 2**20} MiB limit")]
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        return [], [Problem(shown, 0, "", f"cannot read the recipient list: {exc.strerror}")]
    except UnicodeDecodeError as exc:
        return [], [not_utf8(shown, raw, exc)]
    addresses: list[str] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        address = line.strip()
        if not address or address.startswith("#"):
            continue
        wrong = recipient_problem(address)
        if wrong:
            problems.append(Problem(shown, number, "recipient", wrong))
        elif address.casefold() in seen:
            problems.append(
                Problem(
                    shown,
                    number,
                    "",
                    f"{address} is already on line {seen[address.casefold()]}; sent once",
                    warning=True,
                )
            )
        else:
            seen[address.casefold()] = number
            addresses.append(address)
    return addresses, problems


def recipient_problem(line: str) -> str | None:
    """Why a line of the list is not exactly one address, or None. The standard library's
    RFC 5322 parser reads it, and what it read must be the whole line: 'Bcc: x@y', 'a@x, b@y'
    or 'RCPT TO:<y@z>' would otherwise put other people, or other commands, in the envelope."""
    control = control_character(line)
    if control is not None:
        return f"{line!r} has a control character ({control!r}) ({EXPECTED})"
    try:
        parsed = Address(addr_spec=line)
    except (ValueError, HeaderParseError, MessageDefect, IndexError):
        return f"{line!r} is not an email address ({EXPECTED})"
    if parsed.addr_spec != line or not parsed.username:
        return f"{line!r} is not an email address ({EXPECTED})"
    if not _is_domain(parsed.domain):
        return f"{line!r} does not end in a domain name such as example.org ({EXPECTED})"
    return None


def _is_domain(domain: str) -> bool:
    """A host name of two or more non-empty ASCII labels (an international one in its xn-- form,
    which every server takes); no [1.2.3.4] literals, which skip the domain's mail servers."""
    labels = domain.split(".")
    return len(labels) >= 2 and all(LABEL.fullmatch(label) for label in labels)


class RateLimit:
    """Spaces sends evenly so that no minute holds more than `per_minute` of them. The
    clock and the sleep are arguments so that tests need not wait."""

    def __init__(
        self, per_minute: int, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ):
        self.interval = 60.0 / per_minute
        self.clock, self.sleep = clock, sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self.next_at is not None and now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


@dataclass
class Delivery:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, why)


def password(smtp: SmtpSettings, environ: dict[str, str] | os._Environ = os.environ) -> str | None:
    """The SMTP password, from the environment variable the settings name; None when the
    server needs no login."""
    if not smtp.username:
        return None
    if not smtp.password_env:
        raise SendError(
            "email.smtp.username is set but email.smtp.password_env is not: name the environment variable that holds the password"
        )
    value = environ.get(smtp.password_env)
    if not value:
        raise SendError(f"the environment variable {smtp.password_env} (email.smtp.password_env) is not set")
    return value


def send_all(
    message: EmailMessage,
    addresses: list[str],
    smtp: SmtpSettings,
    secret: str | None,
    limit: RateLimit,
    on_failure: Callable[[str, str], None] = lambda address, why: None,
    tls: ssl.SSLContext | None = None,
) -> Delivery:
    """Send a copy of `message` to each address, To set to it alone. A recipient the
    server refuses is reported and the next one is tried; a dropped connection is opened
    again for the next address."""
    delivery = Delivery()
    tls = tls or ssl.create_default_context()
    connection = None
    try:
        for address in addresses:
            if connection is None:
                try:
                    connection = connect(smtp, secret, tls)
                except SendError as exc:
                    if not (delivery.sent or delivery.failed):
                        raise  # never reached the server: nothing to report address by address
                    _fail(delivery, on_failure, address, str(exc))
                    continue
            limit.wait()
            single = copy.deepcopy(message)
            single["To"] = address
            try:
                connection.send_message(single, to_addrs=[address])
                delivery.sent.append(address)
            except smtplib.SMTPServerDisconnected as exc:
                connection = None
                _fail(delivery, on_failure, address, f"the server closed the connection ({exc})")
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = exc.recipients.get(address, (0, b""))
                _fail(delivery, on_failure, address, f"refused: {code} {_text(reply)}")
            except smtplib.SMTPResponseException as exc:  # the sender or the message refused
                _fail(delivery, on_failure, address, f"refused: {exc.smtp_code} {_text(exc.smtp_error)}")
            except (smtplib.SMTPException, OSError) as exc:
                connection = None
                _fail(delivery, on_failure, address, str(exc) or type(exc).__name__)
    finally:
        if connection is not None:
            _quit(connection)
    return delivery


def _fail(delivery: Delivery, on_failure: Callable[[str, str], None], address: str, why: str) -> None:
    delivery.failed.append((address, why))
    on_failure(address, why)


def connect(smtp: SmtpSettings, secret: str | None, tls: ssl.SSLContext) -> smtplib.SMTP:
    where = f"{smtp.host}:{smtp.effective_port}"
    try:
        if smtp.security == "tls":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.effective_port, timeout=TIMEOUT, context=tls)
        else:
            connection = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=TIMEOUT)
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"cannot connect to {where} ({smtp.security}): {exc}") from None
    try:
        if smtp.security == "starttls":
            try:
                connection.starttls(context=tls)
            except smtplib.SMTPNotSupportedError:
                raise SendError(
                    f"{where} does not offer STARTTLS (set email.smtp.security to 'tls' or, on a trusted network only, 'none')"
                ) from None
        if secret is not None:
            connection.login(smtp.username, secret)
    except smtplib.SMTPAuthenticationError as exc:
        _quit(connection)
        raise SendError(
            f"{where} refused the login for {smtp.username}: {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        _quit(connection)
        raise SendError(f"{where} ({smtp.security}): {exc}") from None
    except SendError:
        _quit(connection)
        raise
    return connection


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        pass  # the messages are sent or reported; a lost goodbye changes nothing


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
