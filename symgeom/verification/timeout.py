"""Run a computation under a wall-clock limit that always returns: SIGALRM, or a forked process."""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable
from typing import Any


class TimeLimitError(Exception):
    """The computation ran past its time limit and was interrupted."""


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


def _raise_timeout(signum: int, frame: object) -> None:
    raise TimeLimitError


def _child(conn: Any, fn: Callable[..., Any], args: tuple) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as error:
        conn.send(("error", repr(error)))
    finally:
        conn.close()


def run_with_time_limit(fn: Callable[..., Any], args: tuple, seconds: float) -> Any:
    """fn(*args), or TimeLimitError after ``seconds``.

    SymPy is pure Python, so in the main thread SIGALRM interrupts it cleanly; elsewhere (a
    thread of a user's program) the work runs in a forked child that is killed at the limit.
    """
    if _in_main_thread():
        previous = signal.signal(signal.SIGALRM, _raise_timeout)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, fn, args), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(seconds):
            raise TimeLimitError
        status, value = parent.recv()
    finally:
        process.kill()
        process.join()
    if status == "error":
        raise RuntimeError(value)
    return value
