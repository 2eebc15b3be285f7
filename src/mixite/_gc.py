"""Python's cyclic garbage collector paused during a computation that builds many small
objects and frees them by reference counting (docs/national.md « Ordre et coût des tâches »)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

__all__ = ["gc_paused", "without_gc"]

P = ParamSpec("P")
R = TypeVar("R")


#: Blocks currently inside ``gc_paused`` in this process, and whether the collector was on
#: before the first of them: the collector is the interpreter's, shared by every thread (a web
#: server's requests, Dask's threads), so it is switched off by the first block to enter and
#: back on by the last to leave — never by one thread while another is still inside.
_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector inside the block (restored as it was on exit, even on error,
    once no other thread is inside such a block).

    The collector runs after every few hundred new container objects and walks all those that
    are alive: building a model of hundreds of thousands of tuples, lists and dicts makes it walk
    them again and again (half the CPU time of the secrecy of the room for manoeuvre). Objects
    are still freed by reference counting; cycles left by the block are collected afterwards.
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run with the cyclic collector paused (``gc_paused``)."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return function(*args, **kwargs)

    return wrapper
