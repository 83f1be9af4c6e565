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
  window with its own reader, and readers further ahead only wait for the writer to drain them.
"""

from __future__ import annotations

import threading
import typing as t
from collections import deque

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

#: The bodies' bytes one account may buffer. Pages wait decoded (decoded once, by the reader, so
#: the writer does not decode them again), which takes a few times their bytes in memory. A
#: reader at most about a megabyte ahead keeps the writer fed (a page is always let in); a
#: larger buffer only made more memory to allocate and fault in: at 4 MiB the default
#: concurrency cost 7% more CPU than at 1 MiB in the benchmark (Kombo, latency 0).
PREFETCH_BYTES = 2**20


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


class ReadAhead:
    """The accounts of one stream, read at most ``width`` at a time in the order they are written.

    ``read`` gives every page of one account; ``prepare`` runs (in the main thread) just
    before an account's reader starts, to record where its read begins.
    """

    def __init__(self, read: Callable[[Context], Iterator[Answer]],
                 prepare: Callable[[Context], None], partitions: list[Context],
                 width: int) -> None:
        self._read, self._prepare = read, prepare
        self._waiting: deque[Context] = deque(partitions)
        self._reading: dict[str, Prefetch] = {}
        for _ in range(width):
            self._start_next()

    def _start_next(self) -> None:
        if not self._waiting:
            return
        partition = self._waiting.popleft()
        self._prepare(partition)
        prefetch = self._reading[partition["account_id"]] = Prefetch()
        threading.Thread(target=prefetch.fill, args=(self._read, partition), daemon=True,
                         name=f"read-ahead-{partition['account_id']}").start()

    def answers(self, context: Context) -> Iterator[Answer]:
        """The account's pages: from its reader, or read here if it has none.

        However an account read ahead ends (read in full, an error, the generator closed), the
        next waiting account enters the window.
        """
        account = context["account_id"]
        prefetch = self._reading.pop(account, None)
        if prefetch is None:  # read again (or out of order): here, in no reader's place
            self._waiting = deque(p for p in self._waiting if p["account_id"] != account)
            yield from self._read(context)
            return
        try:
            yield from prefetch
        finally:
            self._start_next()

    @property
    def reading(self) -> int:
        """Accounts whose reader has started and whose responses are not yet taken."""
        return len(self._reading)
