"""`broadsheet email`: an edition -> a .eml file, and with --send, to every address of a list."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from broadsheet.build import render
from broadsheet.build.config import SETTINGS_FILE
from broadsheet.build.pipeline import load_model
from broadsheet.build.request import BuildRequest
from broadsheet.email import headers
from broadsheet.incremental import cache
from broadsheet.outputs import assets, newsletter, template_helpers
from broadsheet.problems import EXIT_OK, EXIT_PROBLEMS, Problem, display_path, errors, print_problems


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "edition",
        nargs="?",
        metavar="EDITION",
        help="an edition's date or week: 2025-06-19 or 2025-W25 (default: the latest)",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write the message (default: DIR/newsletter-<edition>.eml)",
    )
    p.add_argument("--send", action="store_true", help="send it over SMTP to every address of the recipient list")
    p.add_argument(
        "--dry-run", action="store_true", help="print what --send would send, and to whom, without connecting"
    )
    p.add_argument(
        "--recipients",
        type=Path,
        metavar="FILE",
        help="the recipient list, one address a line (default: email.recipients)",
    )
    p.add_argument("--base-url", metavar="URL", help="override base_url from the settings file")


def run(args: argparse.Namespace) -> int:
    site = args.site
    # The default output's build cache is read (never written): parsing is the slow part.
    state, note = cache.load(site, site / "site")
    if note:
        print(f"note: {note}", file=sys.stderr)
    settings, site_model, problems = load_model(BuildRequest(site, base_url=args.base_url, now=args.now), state)
    print_problems(problems, site)
    if site_model is None:
        return EXIT_PROBLEMS
    if not settings.email.sender:
        print_problems(
            [
                Problem(
                    SETTINGS_FILE,
                    0,
                    "email.from",
                    "is missing (the newsletter needs a sender, such as 'The Digest <digest@example.org>')",
                )
            ],
            site,
        )
        return EXIT_PROBLEMS
    try:
        edition = newsletter.find_edition(site_model, args.edition)
    except newsletter.NewsletterError as exc:
        print(f"broadsheet: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    bad_titles = headers.title_problems(edition, site)
    if bad_titles:
        print_problems(bad_titles, site)
        return EXIT_PROBLEMS
    env = render.environment(
        site, settings, assets.collect(site, site_model).fingerprints, template_helpers.helpers(settings)
    )
    common = {"sections": site_model.taxonomies["sections"].terms}
    when = args.now.astimezone(settings.tz) if args.now else newsletter.edition_time(edition, settings)
    try:
        letter = newsletter.render_newsletter(edition, settings, env, common, when)
    except newsletter.NewsletterError as exc:  # its CSS cannot be inlined: as the build reports it
        print_problems([newsletter.style_problem(exc)], site)
        return EXIT_PROBLEMS
    except Exception as exc:  # any error a template raised, reported as the build reports it
        print_problems([render.template_problem(exc, newsletter.TEMPLATE, site)], site)
        return EXIT_PROBLEMS
    output = args.output or site / f"newsletter-{letter.edition}.eml"
    try:
        _write(output, letter.as_bytes())
    except OSError as exc:
        print(f"broadsheet: error: cannot write {display_path(output)}: {exc.strerror}", file=sys.stderr)
        return EXIT_PROBLEMS
    stories = len(edition.entries)
    print(f"Wrote {display_path(output)}: {letter.subject!r}, {stories} {'story' if stories == 1 else 'stories'}")
    if args.send or args.dry_run:
        return _send(args, settings, letter)
    return EXIT_OK


def _send(args: argparse.Namespace, settings, letter: newsletter.Newsletter) -> int:
    mail = settings.email
    listed = args.recipients or (args.site / mail.recipients if mail.recipients else None)
    if listed is None:
        print("broadsheet: error: no recipient list: give --recipients FILE or set email.recipients", file=sys.stderr)
        return EXIT_PROBLEMS
    from broadsheet.email import mailing  # here: smtplib and ssl, for `--send` only (every command reads these options)

    addresses, problems = mailing.read_recipients(listed, display_path(listed))
    print_problems(problems, None)
    if errors(problems):
        print("Nothing was sent: correct the recipient list first.", file=sys.stderr)
        return EXIT_PROBLEMS
    if newsletter.unsubscribe_url(settings) == newsletter.UNSUBSCRIBE_PLACEHOLDER:
        print(f"warning: the unsubscribe link is the placeholder {newsletter.UNSUBSCRIBE_PLACEHOLDER}; "
              "set email.unsubscribe or email.list_unsubscribe", file=sys.stderr)  # fmt: skip
    smtp = mail.smtp
    where = f"{smtp.host}:{smtp.effective_port} ({smtp.security})"
    if args.dry_run:
        print(f"Dry run: would send {letter.subject!r} from {mail.sender} to {len(addresses)} "
              f"address{'es' * (len(addresses) != 1)} via {where}, at most {smtp.rate_per_minute} a minute:")  # fmt: skip
        for address in addresses:
            print(f"  {address}")
        return EXIT_OK
    try:
        secret = mailing.password(smtp)
        delivery = mailing.send_all(
            letter.message, addresses, smtp, secret, mailing.RateLimit(smtp.rate_per_minute),
            on_failure=lambda address, why: print(f"{address}: not sent: {why}", file=sys.stderr),
        )  # fmt: skip
    except mailing.SendError as exc:
        print(f"broadsheet: error: {exc}; nothing was sent", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"Sent {len(delivery.sent)}, failed {len(delivery.failed)}")
    return EXIT_PROBLEMS if delivery.failed else EXIT_OK


def _write(path: Path, data: bytes) -> None:
    """Beside the target, then renamed: a reader never sees half a message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(
        f".{path.name}.{os.getpid()}.tmp"
    )  # open() rather than mkstemp: the umask decides the mode, not 0600
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
