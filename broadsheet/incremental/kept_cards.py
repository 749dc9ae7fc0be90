"""A serve session's cards (render.Cards) kept from one build to the next: a template edit
that leaves the card macros' templates as they were makes no card again (at 10,000
articles, a third of the render workers' Jinja time).

A card is given again only while everything it was made from is as it was:

- its macro's template and every template that one pulls in (fingerprint.template_digests,
  taken before the render, and checked again after it: a card made while its template was
  being saved is not kept);
- everything a macro sees besides its arguments, the template globals: the settings, the
  asset names and image sizes the environment's recipe is made from (a digest of them;
  any difference drops every card), and Broadsheet's own code (one process's);
- its entry, the very object (serve's model takes over unchanged entries by identity; a
  changed one is a new object), which the store keeps alive, so no other object takes its
  id; an entry changed in place (a body edit's short cut) drops every card (`forget`);
- its other arguments, plain values compared with their types (render.plain_key).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from broadsheet.build.render import CarriedCards, LastingKey

# A card as the next session finds it (stored_cards.py), filed under its anchor's digest:
# (template, macro, arguments as render.plain_key gives them, HTML as UTF-8)
StoredCard = tuple[str, str, tuple, bytes]


class KeptCards:
    def __init__(self) -> None:
        self.site = b""  # digest of the recipe's plain data the cards were made with
        self.templates: dict[str, bytes] = {}  # template -> digest the kept cards were made under
        # (template, macro, id(entry), arguments) -> (entry, HTML as UTF-8)
        self.cards: dict[tuple[str, str, int, Any], tuple[object, bytes]] = {}
        self.given = 0  # cards the last build's workers were given
        # One object for each template name, macro name and tuple of arguments (a handful in
        # all, each arriving anew with every card): pickled once a job, not once a card
        self._shared: dict[Any, Any] = {}
        # The last build's cards by place (what for_build gave, with what its workers made
        # since), the anchors those places are in, and the templates the cards are of: a
        # build with the very same anchors (serve's kept plan: a template edit) whose card
        # templates are all unchanged is given these again, not 60,000 cards looked at
        self._given: dict[LastingKey, bytes] | None = None
        self._anchors: list[object] = []
        self._of: set[str] = set()
        self.unsaved = False  # cards made since they were stored or restored (stored_cards.py)
        self.restored = 0  # cards the warm-up took from the stored ones

    def forget(self) -> None:
        self.templates, self.cards, self.given, self._shared = {}, {}, 0, {}
        self._given, self._anchors, self._of = None, [], set()

    def stored(self, digest_of: Callable[[object], bytes]) -> list[tuple[str, str, bytes, tuple, bytes]]:
        """Every card as another session may take it: (template, macro, its anchor's
        digest, arguments, HTML), `digest_of` giving an anchor's (one call per anchor)."""
        digests: dict[int, bytes] = {}
        cards = []
        for (template, macro, anchor, arguments), (entry, html) in self.cards.items():
            digest = digests.get(anchor)
            if digest is None:
                digest = digests[anchor] = digest_of(entry)
            cards.append((template, macro, digest, arguments, html))
        return cards

    def restore(
        self,
        site: bytes,
        templates: dict[str, bytes],
        cards: dict[bytes, list[StoredCard]],
        anchors: list[object],
        digest_of: Callable[[object], bytes],
    ) -> int:
        """Cards an earlier session stored, each given to the anchor of this model with the
        digest it was stored under; how many. Into a session with no card of its own, or
        whose own (the few pages its start rendered) were made with the same site-wide
        values: a card of its own stays, and a stored one of a template whose digest is
        not the one its own were made under is left out. The next build's for_build checks
        the site-wide digest and the templates' as ever."""
        if not cards:
            return 0
        if not self.cards:
            self.forget()
            self.site = site
        elif site != self.site:
            return 0
        usable = {name for name, digest in templates.items() if self.templates.setdefault(name, digest) == digest}
        shared, added = self._shared.setdefault, 0
        for anchor in anchors:
            for template, macro, arguments, html in cards.get(digest_of(anchor), ()):
                key = (shared(template, template), shared(macro, macro), id(anchor), shared(arguments, arguments))
                if template in usable and key not in self.cards:
                    self.cards[key] = (anchor, html)
                    added += 1
        self._given = None  # the next build looks at every card
        self.restored = added
        return added

    def for_build(self, site: bytes, templates: dict[str, bytes], anchors: list[object]) -> CarriedCards:
        """The cards a build may give again, its `anchors` being the objects cards are kept
        for; the rest let go (with the entries they kept alive)."""
        from broadsheet.build.render import CarriedCards  # here: a build with nothing to do renders nothing

        if site != self.site:
            self.forget()
            self.site = site
        same = {name for name, digest in self.templates.items() if templates.get(name) == digest}
        self.templates = {name: templates[name] for name in same}
        if self._given is not None and self._of <= same and _very_same(anchors, self._anchors):
            self.given, self._anchors = len(self._given), anchors  # every card kept, each at its place, as below
            return CarriedCards(anchors, dict(self._given))  # a copy: take() adds to this build's own
        places = {id(anchor): n for n, anchor in enumerate(anchors)}
        kept, given = {}, {}
        for key, (entry, html) in self.cards.items():
            template, macro, _, arguments = key
            place = places.get(id(entry))
            if place is not None and template in same:
                kept[key] = (entry, html)
                given[(template, macro, place, arguments)] = html
        self.cards, self.given = kept, len(given)
        self._given, self._anchors, self._of = given, anchors, {key[0] for key in kept}
        return CarriedCards(anchors, dict(given))

    def take(self, carried: CarriedCards, before: dict[str, bytes], after: dict[str, bytes]) -> None:
        """Keep the cards the build's workers made, of templates that were the same before
        the render (`before`, what `for_build` was given) and after it."""
        steady = {name for name, digest in before.items() if after.get(name) == digest}
        self.templates = {name: before[name] for name in steady}
        if len(steady) != len(before):  # a template saved during the render: its cards go (from
            # _given too, in effect: its template is not among the next build's same ones)
            self.cards = {key: card for key, card in self.cards.items() if key[0] in steady}
        shared = self._shared.setdefault
        self.unsaved |= bool(carried.made)
        for (template, macro, place, arguments), html in carried.made.items():
            if template in steady:
                entry = carried.anchors[place]
                template, macro, arguments = (
                    shared(template, template),
                    shared(macro, macro),
                    shared(arguments, arguments),
                )
                self.cards[(template, macro, id(entry), arguments)] = (entry, html)
                if self._given is not None:  # at its place among these anchors, for_build's last
                    self._given[(template, macro, place, arguments)] = html
                    self._of.add(template)
        carried.made = {}


def _very_same(these: list[object], those: list[object]) -> bool:
    """The same objects in the same order (20,000 anchors at 10,000 articles: a millisecond)."""
    return len(these) == len(those) and all(map(operator.is_, these, those))
