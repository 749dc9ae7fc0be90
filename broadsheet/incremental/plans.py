"""A serve build in which nothing but templates changed takes the last build's plan over
whole: the model is not made again, nor the routes planned, nor the static files, image
copies and redirects collected, and the files made from the model after the render are
left on disk as they are.

A build's plan is everything it works out before it reads a template: the model, the
pages (the site's and the newsletter's), the static files, the photos' copies, the
redirects, and the problems found on the way. None of it reads a template: no template
names a path (the routes come from the model, the settings and the static files), and
the files made from the model (sitemaps, search index, feeds, image copies, redirect
pages) are written without Jinja. What templates do make, the pages and the newsletter's
pages (their CSS inlined from the template's), is rendered as in any build.

Only serve keeps a plan (the command line has no model in memory), made by the last
successful build, and takes it while that build's outcome is the state's (no build, and
no body short cut, came between), every input but the templates has the digest it had
(inputs.digest's second one), the clock has moved nowhere that publishes, unpublishes or
moves an article in or out of the news sitemap (Outcome.holds), and the output is as
that build left it. A successful build had no error, so no conversion that ran out of time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from broadsheet.build.content import Article
    from broadsheet.build.model import SiteModel
    from broadsheet.build.request import BuildRequest
    from broadsheet.build.routes import Page
    from broadsheet.incremental.inputs import Outcome
    from broadsheet.outputs.assets import StaticFiles
    from broadsheet.outputs.images import Images
    from broadsheet.outputs.redirects import Redirect
    from broadsheet.outputs.search import SearchIndex
    from broadsheet.problems import Problem


@dataclass(frozen=True)
class Plan:
    """What a build works out before it reads a template."""

    articles: list[Article]
    model: SiteModel
    pages: list[Page]
    mail_pages: list[Page]  # the newsletter's, not in the sitemap
    static: StaticFiles
    pictures: Images
    moved: list[Redirect]
    checked: list[Problem]  # the path checks' and the static files': an error stops the build before the render
    found: list[Problem]  # parsing's and the model's: an error fails the build at its end


@dataclass(frozen=True)
class KeptPlan:
    """A successful serve build's plan, with what it was made from."""

    request: BuildRequest
    plan: Plan
    untemplated: bytes  # the digest of every input but the templates (inputs.digest)
    outcome: Outcome  # the build's: while it is the state's, no build came between
    search: SearchIndex | None  # the search index as the build left it (the snapshot takes it)


def usable(
    kept: KeptPlan | None,
    request: BuildRequest,
    outcome: Outcome | None,
    untemplated: bytes,
    now: datetime,
) -> Plan | None:
    """The kept plan when this build, of `request` at `now`, with this digest of every
    input but the templates (not racy: the caller's), would work it out again as it is;
    else None. The caller also checks the output is as the build left it.

    The digest holds the request's drafts, future, base URL and output; the request and
    the outcome are compared besides as guards (serve's request never changes, and a
    build that changes the outcome, the body short cut too, leaves no plan or none it
    could take), without a test of their own."""
    if kept is None or outcome is None or kept.outcome is not outcome:
        return None
    if _timeless(kept.request) != _timeless(request) or kept.untemplated != untemplated:
        return None
    if not outcome.holds(outcome.inputs, now):  # an article come out, or out of the news sitemap, since
        return None
    return kept.plan


def _timeless(request: BuildRequest) -> BuildRequest:
    """The request but for its moment (tests and scheduled builds name one): the clock is
    the outcome's to judge."""
    return dataclasses.replace(request, now=None)
