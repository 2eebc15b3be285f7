"""mixite._gc: the cyclic collector paused inside a block and restored as it was."""

import gc

import pytest

from mixite._gc import gc_paused, without_gc


def test_paused_inside_and_restored_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError("boom")
    assert gc.isenabled()


def test_left_disabled_when_it_was() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_decorated_function_runs_paused_and_keeps_its_name() -> None:
    @without_gc
    def state(x: int) -> tuple[int, bool]:
        return x + 1, gc.isenabled()

    assert state(1) == (2, False)
    assert state.__name__ == "state"
    assert gc.isenabled()
