"""Python's cycle collector, paused while a build or a cache load makes objects that all
live on."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """A build (or a cache load) makes hundreds of thousands of objects that live until its
    end, and the cycle collector walks all of them again and again as they come: a quarter
    of a rebuild at 10,000 articles, and twice the time of a cache load. Those records hold
    no reference cycles worth collecting early; the collector runs again as usual after.

    As it resumes, what was made meanwhile goes to the oldest generation (gc.freeze, then
    gc.unfreeze: two splices of the collector's lists). Left in the youngest, all of it was
    walked by the very next collection, which frees nothing of it: 0.2 s of a one-edit build
    at 10,000 articles. In the oldest it is walked only by a full collection, as Python's
    long-lived objects are, and whatever of it became garbage is still collected there."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
