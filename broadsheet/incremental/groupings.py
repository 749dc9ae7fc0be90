"""Story grouping kept between runs of the command line: the `coverage.Grouping` a build
made, stored in the build cache as plain data, and restored by the next build so that an
edit regroups the window around it, not every article.

What is stored is the index's own work (`stories.SavedIndex`: its settings, the articles'
ids, the links) and, for each article, the cache key under which the build cache holds
it: the articles, and the terms grouping read of them, are in the cache already and are
never stored twice. The next build restores the grouping from the articles the cache
held under those keys (the last build's versions, the edited ones included: the index
is exactly the one saved), then `coverage.find` hands it what changed, as in serve.

Nothing here is trusted: a key the cache does not hold, a grouping saved for other
articles, with other settings or by another version of grouping gives None, and the
build groups afresh (`codec.decode_grouping` has checked every type and shape before).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from broadsheet.build.stories import SavedIndex, StorySettings

if TYPE_CHECKING:  # a build with nothing to do imports neither
    from broadsheet.build.content import Parsed
    from broadsheet.build.coverage import Grouping


@dataclass(frozen=True)
class StoredGrouping:
    """A grouping as the build cache holds it."""

    index: SavedIndex
    keys: tuple[str, ...]  # the cache key of the article of each of index.ids, in its order


def stored(grouping: Grouping, parsed: Mapping[str, Parsed]) -> StoredGrouping | None:
    """`grouping` with each article's cache key in `parsed` (the cache's articles, as it
    will be saved); None when an article is not among them, and the next build groups afresh."""
    key_of = {id(article): key for key, (article, _) in parsed.items() if article is not None}
    saved = grouping.saved()
    keys = []
    for entry_id in saved.ids:
        article = grouping.articles.get(entry_id)
        key = key_of.get(id(article)) if article is not None else None
        if key is None:
            return None
        keys.append(key)
    return StoredGrouping(saved, tuple(keys))


def restored(stored: StoredGrouping, parsed: Mapping[str, Parsed], settings: StorySettings) -> Grouping | None:
    """The grouping `stored` stands for, from the articles `parsed` (the cache as it was
    loaded, before this build let go of the versions it no longer uses); None when it
    cannot be restored exactly."""
    articles = {}
    for entry_id, key in zip(stored.index.ids, stored.keys, strict=True):
        found = parsed.get(key)
        if found is None or found[0] is None:
            return None
        articles[entry_id] = found[0]
    from broadsheet.build import coverage  # here: it imports the HTML and slug machinery

    return coverage.restored(stored.index, articles, settings)
