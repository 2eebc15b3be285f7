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


def test_two_threads_overlapping_leave_it_as_it_was() -> None:
    # A enters, B enters, A leaves: B is still inside, the collector stays off; B leaves: on
    # again (a naive save-and-restore per block would leave it off for good: B saw it off)
    import threading

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def a() -> None:
        with gc_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with gc_paused():
            b_in.set()
            a_out.wait(5)
            seen["inside after A left"] = gc.isenabled()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"inside after A left": False}
    assert gc.isenabled()
