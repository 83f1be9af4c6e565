"""Reads that overlap: one read per item of a batch, up to ``max_concurrency`` of them at once.

Some lists are read one request (or a few pages) per record of another stream: Ashby's
``application.listHistory`` per application, Lever's offers, interviews and feedback per
opportunity, ATZ CRM's history per candidate and the jobs those histories name. Read one after
another, a first sync of 100,000 applications at 250 ms a request takes hours below the
provider's rate limit. :class:`Overlap` hands such reads to a pool of worker threads and gives
their answers back in the batch's order, so that the calling thread alone maps and writes the
records, in the order a sequential read writes them:

- Every request still goes through the stream's ``send``: each worker waits for the account's
  pacer (one per account, thread-safe), a 429 pushes that pacer back for every worker, and
  each request has its retry budget as before.
- ``max_concurrency: 1`` reads in the calling thread, as before this module.
- An account's first read of the run is made alone: a key refused the endpoint still costs one
  request and one warning, and the time it took tells whether to overlap the next ones.
- While the reads of a batch take less than ``QUICK_ANSWER`` on average, the next batch is read
  in the calling thread: a pool only overlaps waits, and where there is none (a sandbox on the
  same machine) it costs CPU for nothing. Pacing counts in that time (as for read-ahead's
  ``SLOW_PAGE``): an account at its rate limit is read by the pool.
- A read that fails: the answers before it are given, then its exception is raised in the
  calling thread, as a sequential read raises it. Reads not started are cancelled; those in
  flight (at most ``max_concurrency`` - 1) end on their own and their answers are dropped.

Nothing is kept in state here: the parent's bookmark (and Ashby's sync token, ATZ CRM's history
slice) moves only when the parent's read of the account ends, after every record handed to these
reads is written.
"""

from __future__ import annotations

import threading
import time
import typing as t
from concurrent.futures import Future, ThreadPoolExecutor

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

T = t.TypeVar("T")
R = t.TypeVar("R")

#: A mean time per read (seconds) under which a batch is faster read one read after another
#: than handed to the pool: the hand-over between threads then costs more CPU (a third more for
#: ATZ CRM's histories, at latency 0) than the wait it would overlap.
QUICK_ANSWER = 0.01


class Overlap:
    """Reads of one stream, overlapped on ``workers`` threads (one pool for the run)."""

    def __init__(self, workers: int, name: str) -> None:
        self.workers = max(1, workers)
        self.name = name
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        #: Accounts whose first read of the run succeeded: their reads may overlap.
        self._proven: set[str] = set()
        #: Whether the last batch's reads took under ``QUICK_ANSWER`` on average.
        self.quick = False

    def map(self, read: Callable[[T], R], items: Iterable[T], account: str) -> Iterator[R]:
        """``read`` of each item, in the items' order; overlapped when that pays (module doc).

        Close the iterator (or let it be collected) to give up the reads not yet consumed.
        """
        items = list(items)
        if self.workers == 1:
            yield from map(read, items)
            return
        times: list[float] = []
        start = 0
        if account not in self._proven and items:  # the account's first read: alone
            yield self._timed(read, items[0], times)
            self._proven.add(account)
            self.quick = times[0] < QUICK_ANSWER
            start = 1
        rest = items[start:]
        if self.quick or len(rest) < 2:
            for item in rest:
                yield self._timed(read, item, times)
        else:
            pool = self._executor()
            futures: list[Future[R]] = [pool.submit(self._timed, read, item, times)
                                        for item in rest]
            try:
                for future in futures:
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()
        if times:
            self.quick = sum(times) / len(times) < QUICK_ANSWER

    @staticmethod
    def _timed(read: Callable[[T], R], item: T, times: list[float]) -> R:
        """``read(item)``, its wall time appended to ``times`` (pacing included)."""
        began = time.monotonic()
        try:
            return read(item)
        finally:
            times.append(time.monotonic() - began)

    def _executor(self) -> ThreadPoolExecutor:
        """The run's pool, started on first need; the CLI exits without waiting for it."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=self.name)
            return self._pool

