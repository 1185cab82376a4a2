"""Reading many files on both cores: half of the work in a forked child.

A whole-tree scan ends with the files whose URLs name a catalogue service: each is
read, its comments told apart, each URL judged. By then git grep is done and the second
core is idle; on a large tree that reading is most of what remains. `halves()` gives
half of the work (by weight) to a child forked from this process, which has everything
loaded already, does the other half here, and takes the child's result back through a
pipe. Where there is no fork (or the work is small), or when the child fails in any way,
the work is done here, all of it: the result is the same either way.

The child touches nothing the parent shares with other processes: it reads product
files, builds its result, writes it to its pipe and leaves with `os._exit` (no atexit
handler, no buffered output flushed twice, no temporary file or git process of the
parent's closed).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_WEIGHT = 15_000  # the work's estimated microseconds: below this a fork costs more than it saves


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def split(items: Sequence[T], weights: Sequence[int]) -> tuple[list[T], list[T]]:
    """Two shares of about equal weight (heaviest first, each to the lighter share), each
    in the order of `items`."""
    shares: tuple[list[tuple[int, T]], list[tuple[int, T]]] = ([], [])
    loads = [0, 0]
    for i in sorted(range(len(items)), key=lambda i: (-weights[i], i)):
        side = 0 if loads[0] <= loads[1] else 1
        shares[side].append((i, items[i]))
        loads[side] += weights[i]
    return [item for _, item in sorted(shares[0])], [item for _, item in sorted(shares[1])]


def halves(items: Sequence[T], weight: Callable[[T], int], work: Callable[[list[T]], R]) -> list[R]:
    """`work` over `items`, as the results of one or two calls whose shares together
    are `items`: two (one in a forked child) when the items weigh MIN_WEIGHT or more."""
    weights = [weight(item) for item in items]
    if not can_fork() or sum(weights) < MIN_WEIGHT:
        return [work(list(items))]
    mine, theirs = split(items, weights)
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # 3.12+ warns of a fork beside threads; the child uses none of theirs
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; coverage is not written from it
        os.close(read_end)
        code = 1
        try:
            data = pickle.dumps(work(theirs), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as fh:
                fh.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    reaped = False
    try:
        with os.fdopen(read_end, "rb") as fh:
            results = [work(mine)]
            data = fh.read()
        _, status = os.waitpid(pid, 0)
        reaped = True
        results.append(_theirs(data, status, theirs, work))
        return results
    finally:
        if not reaped:  # our share failed: the child is not waited for
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _theirs(data: bytes, status: int, theirs: list[T], work: Callable[[list[T]], R]) -> R:
    """The child's result, or (it failed, was killed, or wrote what does not load) its
    share's, done here."""
    if os.waitstatus_to_exitcode(status) != 0 or not data:
        return work(theirs)
    try:
        result: R = pickle.loads(data)  # noqa: S301 - written by our own child, through our own pipe
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):  # cut short: done again here
        return work(theirs)
    return result
