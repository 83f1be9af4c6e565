"""Read-ahead of accounts: their pages fetched by worker threads while earlier accounts are written.

The SDK syncs a stream's partitions (accounts) one after another, and Singer output must stay in
that order. With many accounts and ``max_concurrency`` above 1, :class:`ReadAhead` keeps a window
of at most ``width`` accounts being read at once, **in the order they will be written**: the
account being written and the next ``width - 1``. When the account being written is done (read
in full, failed or stopped), the next account enters the window. So:

- memory is bounded by the window, not by the number of accounts: each account in it buffers
  pages of at most ``PREFETCH_BYTES`` of response bodies (its reader waits when that is full),
  whatever the tenant or account count;
- nothing can wait on a slot held by a blocked reader: the account being written is always in the
  window (read by its own reader, or here), and readers further ahead only wait for the writer to
  drain them.

Readers start only once the API proves slow: until the pages read here take ``SLOW_PAGE`` (the
median of the run's last ``WAITS``), there is nothing for a thread to overlap but the
tap's own work, and its handoffs and contention for the GIL cost more CPU than they save time.
"""

from __future__ import annotations

import logging
import threading
import time
import typing as t
from collections import deque

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator

    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

#: The bodies' bytes one account may buffer. Pages wait decoded (decoded once, by the reader, so
#: the writer does not decode them again), which takes a few times their bytes in memory. A
#: reader at most about a megabyte ahead keeps the writer fed (a page is always let in); a
#: larger buffer only made more memory to allocate and fault in: at 4 MiB the default
#: concurrency cost 7% more CPU than at 1 MiB in the benchmark (Kombo, latency 0).
PREFETCH_BYTES = 2**20

#: The wait for a page (pacing, the request, decoding) from which readers start, in seconds. No
#: hosted API answers a page this fast (they take 100 ms and more) and a rate limit's pacing takes
#: longer; an API on this machine does, and the sandbox does (5-20 ms a page at 100,000
#: applications), where readers cost 5-12% more CPU to save a little time (benchmark, latency 0).
SLOW_PAGE = 0.03

#: How many of the run's last pages the median wait is taken over, once there are as many: one
#: slow page (the first connection, a retry) among quick ones is noise.
WAITS = 5


class Prefetch:
    """One account's pages, read ahead by a worker thread, for the main thread to map.

    The buffer holds pages of at most ``PREFETCH_BYTES`` of response bodies (the worker waits
    when it is full), so memory stays flat however large the tenant is.
    """

    def __init__(self) -> None:
        self._items: deque[Answer] = deque()
        self._size = 0
        self._done = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()

    def fill(self, answers: Callable[[Context], Iterator[Answer]], context: Context) -> None:
        """Worker: read every page of the account into the buffer."""
        try:
            for answer in answers(context):
                with self._cond:
                    while self._size >= PREFETCH_BYTES and self._items:
                        self._cond.wait()
                    self._items.append(answer)
                    self._size += len(answer.response.content)
                    self._cond.notify_all()
        except BaseException as exc:
            self._error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def __iter__(self) -> Iterator[Answer]:
        """Main thread: the pages in order; a worker's error is raised here."""
        while True:
            with self._cond:
                while not self._items and not self._done:
                    self._cond.wait()
                if not self._items:
                    if self._error is not None:
                        raise self._error
                    return
                answer = self._items.popleft()
                self._size -= len(answer.response.content)
                self._cond.notify_all()
            yield answer


class PageWaits:
    """How long the run's last ``WAITS`` pages read in the writer's thread took, every stream's.

    They tell whether readers are worth starting, and once the API has proved slow it stays so
    for the streams after (the same host, the same budgets), whose readers start at once.
    """

    def __init__(self, slow: float = SLOW_PAGE) -> None:
        self._waits: deque[float] = deque(maxlen=WAITS)
        self._threshold = slow
        #: Whether readers are worth starting (from the start if ``slow`` is 0).
        self.slow = slow <= 0

    def note(self, seconds: float) -> float:
        """Count one page's wait; the median of the last ``WAITS`` (0 until there are as many)."""
        self._waits.append(seconds)
        if len(self._waits) < WAITS:
            return 0.0
        median = sorted(self._waits)[WAITS // 2]
        self.slow = self.slow or median >= self._threshold
        return median


class ReadAhead:
    """The accounts of one stream, read at most ``width`` at a time in the order they are written.

    ``read`` gives every page of one account; ``prepare`` runs (in the main thread) just
    before an account's reader starts, to record where its read begins. Accounts are read here,
    in the writer's thread, until ``waits`` (``clock`` tells the time) says the API is slow;
    from then on readers read ahead, and ``logger`` says so.
    """

    def __init__(self, read: Callable[[Context], Generator[Answer, None, None]],
                 prepare: Callable[[Context], None], partitions: list[Context],
                 width: int, *, waits: PageWaits,
                 clock: Callable[[], float] = time.monotonic,
                 logger: logging.Logger | None = None) -> None:
        self._read, self._prepare, self._clock = read, prepare, clock
        self._logger = logger or logging.getLogger(__name__)
        self._waiting: deque[Context] = deque(partitions)
        self._reading: dict[str, Prefetch] = {}
        self._width, self._waits = width, waits
        self._ahead = waits.slow
        if self._ahead:
            self._fill(width)

    def _fill(self, slots: int) -> None:
        """Start readers for the next waiting accounts until ``slots`` are reading."""
        while len(self._reading) < slots and self._waiting:
            partition = self._waiting.popleft()
            self._prepare(partition)
            prefetch = self._reading[partition["account_id"]] = Prefetch()
            threading.Thread(target=prefetch.fill, args=(self._read, partition), daemon=True,
                             name=f"read-ahead-{partition['account_id']}").start()

    def answers(self, context: Context) -> Iterator[Answer]:
        """The account's pages: from its reader, or read here if it has none.

        However an account ends (read in full, an error, the generator closed), the next
        waiting account enters the window once readers have started.
        """
        account = context["account_id"]
        prefetch = self._reading.pop(account, None)
        if prefetch is None and self._waiting and self._waiting[0]["account_id"] == account:
            self._waiting.popleft()  # read here in its turn: no scan of a thousand accounts
        elif prefetch is None:  # read again, or out of order: here, in no reader's place
            self._waiting = deque(p for p in self._waiting if p["account_id"] != account)
        try:
            yield from (prefetch if prefetch is not None else self._here(context))
        finally:
            if self._ahead:
                self._fill(self._width)

    def _here(self, context: Context) -> Iterator[Answer]:
        """The account read in this thread; once the API proves slow, readers start ahead."""
        pages = self._read(context)
        try:
            while True:
                began = self._clock()
                answer = next(pages, None)
                if answer is None:
                    return
                if not self._ahead:
                    median = self._waits.note(self._clock() - began)
                    if self._waits.slow:
                        self._ahead = True
                        self._fill(self._width - 1)  # this account holds the other slot
                        self._logger.info("Pages take %.0f ms: reading up to %d accounts ahead",
                                          median * 1000, self._width - 1)
                yield answer
        finally:
            pages.close()

    @property
    def reading(self) -> int:
        """Accounts whose reader has started and whose responses are not yet taken."""
        return len(self._reading)

    @property
    def ahead(self) -> bool:
        """Whether readers have started (the API proved slow, or ``slow`` was 0)."""
        return self._ahead
