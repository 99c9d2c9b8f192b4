"""Run a computation under a wall-clock limit that always returns: SIGALRM, or a forked process."""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from typing import Any


class TimeLimitError(Exception):
    """The computation ran past its time limit and was interrupted."""


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


class _OuterAlarm(BaseException):
    """The caller's own ITIMER_REAL expired while our limit was armed."""


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
    A caller's ITIMER_REAL and SIGALRM handler (pytest-timeout, say) are left as they were:
    the handler is restored and the timer re-armed with its remaining time, and if the
    caller's timer is due first, it fires at its time and the caller's handler runs.
    """
    if _in_main_thread():
        return _with_alarm(fn, args, seconds)
    return _in_child(fn, args, seconds)


def _with_alarm(fn: Callable[..., Any], args: tuple, seconds: float) -> Any:
    start = time.monotonic()
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    outer_first = 0 < outer_delay <= seconds

    def on_alarm(signum: int, frame: object) -> None:
        raise _OuterAlarm if outer_first else TimeLimitError

    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer_fired = False
    try:
        signal.setitimer(signal.ITIMER_REAL, outer_delay if outer_first else seconds)
        return fn(*args)
    except _OuterAlarm:
        outer_fired = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_fired:
            if outer_interval > 0:
                signal.setitimer(signal.ITIMER_REAL, outer_interval, outer_interval)
        elif outer_delay > 0:
            left = outer_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), outer_interval)
    # The caller's timer was due before our limit: deliver its signal to its own handler now
    # (pytest-timeout fails the test); if that handler returns, our computation was cut short.
    signal.raise_signal(signal.SIGALRM)
    raise TimeLimitError


def _in_child(fn: Callable[..., Any], args: tuple, seconds: float) -> Any:
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
