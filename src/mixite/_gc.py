"""Python's cyclic garbage collector paused during a computation that builds many small
objects and frees them by reference counting (docs/national.md « Ordre et coût des tâches »)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

__all__ = ["gc_paused", "without_gc"]

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector inside the block (restored as it was on exit, even on error).

    The collector runs after every few hundred new container objects and walks all those that
    are alive: building a model of hundreds of thousands of tuples, lists and dicts makes it walk
    them again and again (half the CPU time of the secrecy of the room for manoeuvre). Objects
    are still freed by reference counting; cycles left by the block are collected afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run with the cyclic collector paused (``gc_paused``)."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return function(*args, **kwargs)

    return wrapper
