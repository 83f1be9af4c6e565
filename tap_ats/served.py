"""A list read whole once per account and run, and the stream served from that read.

Greenhouse's stages, sources and rejection reasons, Kombo's rejection reasons and Lever's
archive reasons are each a stream and a lookup that fills another stream's columns
(:class:`WholeList` is the lookup of the last two). Reading
the list twice in one run would cost a request per account (1,000 Kombo integrations: 11% of
the run's requests), so the stream takes its window from the lookup's rows when the lookup was
read: the rows changed since the window's start, or every row for FULL_TABLE. The bookmark is
the time that read started, so that a change made after it falls in the next window. When the
lookup was not read, or was refused or gave up, the stream reads its own window as any other
(and a refusal or outage ends it as any other).
"""

from __future__ import annotations

import datetime as dt
import threading
import typing as t

from tap_ats.client import ATSStream
from tap_ats.conform import utc_now
from tap_ats.outcomes import Lookups, account_of

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from singer_sdk.helpers.types import Context


def moment(value: t.Any) -> dt.datetime | None:
    """A provider time as an aware datetime (UTC when it names no zone), None if it is none."""
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class Served(ATSStream):
    """The provider's ``listed(context, path)`` says whether the lookup was read, and what."""

    @staticmethod
    def changed_at(row: dict) -> dt.datetime | None:
        """When the provider's row last changed.

        None (unknown, as for a list with no times) keeps the row in every window.
        """
        return None

    def request_records(self, context: Context | None) -> Iterator[dict]:
        """The rows of this window, from the lookup's read when there was one."""
        listed = self.tap.provider.listed(context, self.path)
        if listed is None:
            yield from super().request_records(context)
            return
        rows, read_at = listed
        self._local.window_end = self._window_ends[account_of(context)] = read_at
        start = self.start_time(context) if self.replication_method == "INCREMENTAL" else None
        page = [self.unified(row) for row in rows
                if start is None or (self.changed_at(row) or start) >= start]
        self.progress.page(len(page))
        self._page_last = page[-1] if page else None
        yield from page

    def ahead(self) -> list[dict]:
        """Read ahead only the accounts whose lookup was not read: the others need no request."""
        return [p for p in super().ahead() if self.tap.provider.listed(p, self.path) is None]


class WholeList:
    """A provider's list, read whole once per account and run on first need, folded into an index.

    The index fills another stream's ``columns``; the rows and the time the read began serve
    the list's own stream (:meth:`listed`, :class:`Served`). A refused read or one that gave up
    leaves the columns null as :class:`~tap_ats.outcomes.Lookups` says, and is not asked again.
    """

    def __init__(self, path: str, stream: str, columns: str,
                 fold: Callable[[list[dict]], dict[str, t.Any]], **query: str) -> None:
        """``stream`` names the list's own stream (for the permission hint)."""
        self.path, self.stream, self.columns, self.fold, self.query = (
            path, stream, columns, fold, query)
        self._lock = threading.Lock()
        self._lookups = Lookups()
        #: The index per account (None: refused, or gave up).
        self._index: dict[str, dict[str, t.Any] | None] = {}
        self._rows: dict[str, tuple[list[dict], dt.datetime]] = {}

    def index(self, stream: ATSStream, context: Context) -> dict[str, t.Any]:
        """The account's index, read by ``stream`` (its ``fetch_all``) on first need.

        Empty when the list was refused or gave up.
        """
        account = context["account_id"]
        with self._lock:
            if account not in self._index:
                read_at = utc_now()
                rows = self._lookups.read(
                    stream, context, self.path, self.columns,
                    lambda: stream.fetch_all(self.path, context, **self.query), self.stream)
                if rows is not None:
                    self._rows[account] = rows, read_at
                self._index[account] = None if rows is None else self.fold(rows)
            else:
                self._lookups.note(stream, context, self.path, self.columns)
            return self._index[account] or {}

    def listed(self, context: Context | None,
               path: str) -> tuple[list[dict], dt.datetime] | None:
        """The account's rows if this run read list ``path`` whole, and when (else None)."""
        with self._lock:
            return (self._rows.get(account_of(context) or "") if path == self.path else None)
