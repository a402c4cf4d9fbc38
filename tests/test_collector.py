"""`service_collector()`: the collector's settings for a process holding many contracts are set
within the block and put back after it, whether the block ends or raises."""

from __future__ import annotations

import gc

import pytest

from runtime.collector import THRESHOLDS, service_collector


def walked(target: object) -> bool:
    """Whether the collector's generations hold `target` (frozen objects are in none)."""
    return any(o is target for o in gc.get_objects())


def test_within_the_block_what_was_held_is_frozen_and_the_thresholds_are_set() -> None:
    before = gc.get_threshold()
    held: list[list[int]] = [[1]]  # a container: the collector tracks it
    assert walked(held)
    with service_collector():
        assert gc.get_threshold() == THRESHOLDS
        assert not walked(held)
        made: list[list[int]] = [[2]]  # what the block makes is collected as usual
        assert walked(made)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0 and walked(held)


def test_the_settings_are_put_back_when_the_block_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), service_collector((10_000, 10, 10)):
        assert gc.get_threshold() == (10_000, 10, 10)
        raise RuntimeError("an ingest that fails")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_what_the_process_froze_before_stays_frozen() -> None:
    """An outer freeze (a service's own, or an outer block) is not undone by the block."""
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with service_collector(), service_collector():
            assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
