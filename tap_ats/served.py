"""A stream whose list another stream of the run already read whole, as a lookup.

Greenhouse's stages, sources and rejection reasons, Kombo's rejection reasons and Lever's
archive reasons are each a stream and a lookup that fills another stream's columns. Reading
the list twice in one run would cost a request per account (1,000 Kombo integrations: 11% of
the run's requests), so the stream takes its window from the lookup's rows when the lookup was
read: the rows changed since the window's start, or every row for FULL_TABLE. The bookmark is
the time that read started, so that a change made after it falls in the next window. When the
lookup was not read, or was refused or gave up, the stream reads its own window as any other
(and a refusal or outage ends it as any other).
"""

from __future__ import annotations

import datetime as dt
import typing as t

from tap_ats.client import ATSStream
from tap_ats.outcomes import account_of

if t.TYPE_CHECKING:
    from collections.abc import Iterator

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
