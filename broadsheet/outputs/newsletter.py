"""An edition -> a newsletter: email-ready HTML (CSS inlined, every link absolute, UTM
parameters on links into the site), a plain-text part that reads well alone, and one
multipart/alternative message whose bytes depend only on the site's files.

The HTML comes from the theme's `email/edition.html` (a site's `templates/` overrides it
like any template) and is finished here, so a template never has to remember to inline
its styles or make its links absolute. The same finished HTML is what the build
publishes as `<edition>/email.html` when `email.publish` is on.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import jinja2

from broadsheet.build.config import Settings
from broadsheet.build.coverage import Card
from broadsheet.build.html import absolute_links, rewrite_urls
from broadsheet.build.model import Edition, SiteModel
from broadsheet.build.routes import Page, output_file
from broadsheet.problems import Problem
from broadsheet.theme.localise import Localiser

# Imported where used: a build whose newsletter pages are not made (a body edit: the
# email package's message classes and the CSS inliner, ~0.015 s of its start-up)
if TYPE_CHECKING:
    from email.message import EmailMessage

    import css_inline

TEMPLATE = "email/edition.html"
TEXT_TEMPLATE = "email/edition.txt"
PUBLISHED_FILE = "email.html"
UNSUBSCRIBE_PLACEHOLDER = "*|UNSUB|*"  # the merge tag most newsletter tools know


class NewsletterError(Exception):
    """A newsletter that cannot be made: the message says why and what to do."""


@dataclass(frozen=True)
class Newsletter:
    edition: str  # the edition's key
    subject: str
    html: str
    text: str
    message: EmailMessage  # without To: the sender adds one per recipient

    def as_bytes(self) -> bytes:
        return self.message.as_bytes()


def find_edition(site_model: SiteModel, wanted: str | None) -> Edition:
    """The edition for a date ('2025-06-19', any day of a weekly edition) or a week
    ('2025-W25'); the latest when none is asked for."""
    if not site_model.editions:
        raise NewsletterError("the site has no published editions yet")
    if wanted is None:
        return site_model.editions[0]
    day = _day(wanted)
    for edition in site_model.editions:
        if edition.key.casefold() == wanted.strip().casefold() or (day and edition.start <= day <= edition.end):
            return edition
    latest = ", ".join(ed.key for ed in site_model.editions[:5])
    raise NewsletterError(
        f"no edition {wanted!r} (expected a date such as 2025-06-19 or a week such as 2025-W25; latest editions: {latest})"
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if "W" not in text.upper() else None
    except ValueError:
        return None


def heading(edition: Edition, settings: Settings) -> str:
    """The edition's date in the site's language, as its pages say it."""
    words = Localiser(settings.language, settings.phrases)
    if edition.period == "week":
        return words.pgettext("week_of", "Week of %(date)s", date=words.long_date(edition.start))
    return words.full_date(edition.start)


def published_url(edition: Edition) -> str:
    return edition.url + PUBLISHED_FILE


def page_context(edition: Edition, settings: Settings) -> dict[str, Any]:
    """What the email template is rendered with, for the message and the published page alike."""
    mail = settings.email
    browser = published_url(edition) if mail.publish else edition.url
    entries = edition.entries
    # Each story once, as the edition page shows it (an edition made without cards: each entry).
    cards = edition.cards or tuple(Card(e) for e in entries)
    values = {"site": settings.title, "date": heading(edition, settings), "edition": edition.key,
              "count": len(cards), "headline": cards[0].entry.title if cards else ""}  # fmt: skip
    subject = mail.subject.format(**values)  # config let through only plain {name} fields of these
    return {
        "page_url": browser,  # relative links in the email resolve against the page it mirrors
        "edition": edition,
        "subject": subject,
        "title": subject,
        "heading": heading(edition, settings),
        "browser_url": browser,
        "edition_url": edition.url,
        "unsubscribe_url": unsubscribe_url(settings),
        "preheader": cards[0].entry.summary_text if cards else "",
        "cards": cards,
        # A summary's relative links (a bundle's own files) are relative to its article's page.
        "summaries": {e.url: absolute_links(e.summary_html, settings.origin + e.url) for e in entries},
    }


def pages(site_model: SiteModel, settings: Settings) -> list[Page]:
    """`<edition>/email.html` for every edition when `email.publish` is on: the newsletter
    archive, and the page its "view in browser" link opens."""
    if not settings.email.publish:
        return []
    return [
        Page(output_file(ed.path + PUBLISHED_FILE), published_url(ed), TEMPLATE, page_context(ed, settings))
        for ed in site_model.editions
    ]


class PageFinisher:
    """Passes rendered pages on to `put`, finishing the newsletter pages among them on the
    way (CSS inlined, links made absolute and tracked); a page still on disk as it was
    comes as None, and was finished when it was written."""

    def __init__(self, mail_pages: list[Page], settings: Settings, put: Callable[[str, bytes | None], None]):
        self.contexts = {page.path: page.context for page in mail_pages}
        self.settings, self._put = settings, put
        self.problems: list[Problem] = []

    def put(self, path: str, html: bytes | None) -> None:
        context = self.contexts.get(path)
        if context is not None and html is not None:
            try:
                html = finish_html(html.decode("utf-8"), self.settings, context).encode("utf-8")
            except NewsletterError as exc:
                self.problems.append(style_problem(exc))
                return
        self._put(path, html)


def style_problem(exc: NewsletterError) -> Problem:
    """The email template's CSS that cannot be inlined, as `build` and `email` both say it."""
    return Problem(f"templates/{TEMPLATE}", 0, "template", str(exc))


def unsubscribe_url(settings: Settings) -> str:
    """The footer's unsubscribe link: set explicitly, else the List-Unsubscribe target,
    else a merge tag for the newsletter tool to fill in per subscriber."""
    mail = settings.email
    return mail.unsubscribe or (mail.list_unsubscribe[0] if mail.list_unsubscribe else UNSUBSCRIBE_PLACEHOLDER)


def finish_html(html: str, settings: Settings, context: dict[str, Any]) -> str:
    """Rendered template -> email-ready HTML.

    Every rule of the template's <style> goes into style attributes and the block goes:
    Gmail and others drop <style> blocks (or all of <head>) in many of their clients, so
    anything left there would be lost. That includes `prefers-color-scheme` queries, so
    the theme's dark-mode answer lies in its colours, not in a query (see the template).
    """
    try:
        inlined = _inliner().inline(html)
    except ValueError as exc:  # css_inline's InlineError: a stylesheet it cannot read
        raise NewsletterError(f"cannot inline its CSS: {exc}") from None
    if inlined.lstrip()[:9].lower() != "<!doctype":  # an override may lack one; without it browsers go into quirks mode
        inlined = "<!DOCTYPE html>\n" + inlined
    base = settings.origin + context["page_url"]
    keep = {context["unsubscribe_url"]}
    return rewrite_urls(inlined, lambda url: email_url(url, base, settings, context["edition"].key, keep))


@functools.cache
def _inliner() -> css_inline.CSSInliner:
    """Remote stylesheets are never fetched: the output must not depend on the network."""
    import css_inline

    return css_inline.CSSInliner(keep_style_tags=False, keep_link_tags=False, load_remote_stylesheets=False)


def email_url(url: str, base: str, settings: Settings, edition_key: str, keep: Set[str] = frozenset()) -> str:
    """A URL as a mail client needs it: absolute, and tagged with the UTM parameters when
    it points into the site (other sites' analytics are not ours to feed)."""
    url = url.strip()
    if not url or url in keep:
        return url
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https"):  # mailto:, tel:, data:
        return url
    absolute = urljoin(base, url)
    if not absolute.startswith(settings.origin + settings.base_path):
        return absolute
    return _with_utm(absolute, settings, edition_key)


def _with_utm(url: str, settings: Settings, edition_key: str) -> str:
    utm = settings.email.utm
    wanted = [
        ("utm_source", utm.source),
        ("utm_medium", utm.medium),
        ("utm_campaign", utm.campaign.replace("{edition}", edition_key)),
    ]
    wanted = [(name, value) for name, value in wanted if value]
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not wanted or any(name.startswith("utm_") for name, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode(query + wanted)))


def render_newsletter(
    edition: Edition, settings: Settings, env: jinja2.Environment, common: dict[str, Any], when: datetime
) -> Newsletter:
    """The edition's newsletter; `when` is its Date (the edition's newest story, or --now)."""
    context = page_context(edition, settings)
    html = finish_html(env.get_template(TEMPLATE).render({**common, **context}), settings, context)
    text = (
        text_environment(env, settings, edition.key, context).get_template(TEXT_TEMPLATE).render({**common, **context})
    )
    return Newsletter(
        edition.key, context["subject"], html, text, _message(edition, settings, context["subject"], html, text, when)
    )


def text_environment(
    env: jinja2.Environment, settings: Settings, edition_key: str, context: dict[str, Any]
) -> jinja2.Environment:
    """The same loaders and helpers without HTML escaping, plus `email_link` for URLs
    (the text part has no post-pass, so its template asks for absolute links itself)."""
    text = env.overlay(autoescape=False)
    base = settings.origin + context["page_url"]
    keep = {context["unsubscribe_url"]}
    text.filters = {**env.filters, "email_link": lambda url: email_url(str(url), base, settings, edition_key, keep)}
    return text


def edition_time(edition: Edition, settings: Settings) -> datetime:
    """The moment an edition stands for: its newest story's time, in the site's zone."""
    return max(e.article.date for e in edition.entries).astimezone(settings.tz)


def _message(edition: Edition, settings: Settings, subject: str, html: str, text: str, when: datetime) -> EmailMessage:
    """Headers and parts in a fixed order, with a Message-ID and a MIME boundary made from
    the content, so the same site gives the same bytes and a resent edition keeps its id."""
    mail = settings.email
    host = urlsplit(settings.base_url).hostname or "localhost"
    from email import policy
    from email.message import EmailMessage

    digest = hashlib.sha256("\0".join((subject, mail.sender, html, text)).encode()).hexdigest()
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject
    message["From"] = mail.sender
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<edition-{edition.key}.{digest[:16]}@{host}>"
    if mail.list_unsubscribe:
        message["List-Unsubscribe"] = ", ".join(f"<{url}>" for url in mail.list_unsubscribe)
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    message.set_boundary(f"broadsheet-{digest[16:40]}")  # the default one is random
    return message
