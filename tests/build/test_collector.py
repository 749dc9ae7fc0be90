"""The cycle collector paused during a build: what the build made is not walked again by
the first collection after it, and garbage among it is still collected (Python's own gc
says where each object is)."""

from __future__ import annotations

import gc
import weakref

from broadsheet.build.collector import cycle_collector_paused


class Record:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cycle collector frees it


def test_what_a_paused_stretch_made_is_in_the_oldest_generation_and_its_garbage_still_goes():
    assert gc.isenabled()
    with cycle_collector_paused():
        assert not gc.isenabled()
        kept = [Record() for _ in range(1000)]
        dropped = Record()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing left out of collections for good
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert not any(id(r) in young for r in kept)
    assert id(kept[0]) in {id(o) for o in gc.get_objects(generation=2)}
    gone = weakref.ref(dropped)
    del dropped
    gc.collect()
    assert gone() is None


def test_a_pause_inside_a_pause_leaves_the_collector_to_the_outer_one():
    with cycle_collector_paused():
        with cycle_collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
