"""How the read of one stream of one account ends, and when an account's API is taken to be down.

Each stream of an account ends on its own (the stream base's ``_read_account`` sorts the endings
out, :class:`AccountEndings` reports them):

- read in full: its bookmark moves to the time the read started, unless a lookup that fills some
  of its columns gave up: then its rows are out with those columns null, the stream is
  ``partial`` and its bookmark stays, so that the next run reads them again and fills them;
- skipped: the credential or account may not read it (a 403, or a 404 on its list path);
- failed: a broken body, a pagination loop, or its retries ran out (:class:`~tap_ats.http.GiveUp`).

Unless the stream was read in full with every lookup answered, its bookmark stays where it was;
in every case the account's other streams are still read. After a stream gave up on a 5xx or no
connection, the account is on :class:`Probation`: its next request is a probe, which gives up
at its first 5xx or failed connection (:class:`~tap_ats.http.ProbeFailed`). Then the API is
taken to be down for that account, and the account stops for the rest of the run (exit 3; exit 1
when every account stopped that way). An account whose credential is refused (401) is given up
too. A refused shared credential, an unreachable or hung host or a foreign link end the whole
run.
"""

from __future__ import annotations

import threading
import typing as t

from singer_sdk.exceptions import FatalSyncError

from tap_ats.http import GiveUp, ProbeFailed, Refused

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.exceptions import FatalAPIError
    from singer_sdk.helpers.types import Context

    from tap_ats.client import ATSStream
    from tap_ats.tap import TapATS

T = t.TypeVar("T")


def account_of(context: Context | None) -> str | None:
    """The account a stream context reads."""
    return (context or {}).get("account_id")


class Lookups:
    """What became of each lookup that only fills columns of other streams, per account, in a run.

    One rule for every provider: a lookup the key may not read leaves its columns null, with one
    warning per account, and the streams are still read; one whose retries ran out is not asked
    again in the run, and every stream that uses it (:meth:`note`) ends ``partial`` with its
    bookmark kept, so that the next run fills the columns.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refused: set[tuple[str, str]] = set()
        self._failed: dict[tuple[str, str], GiveUp] = {}

    def read(self, stream: ATSStream, context: Context | None, path: str, columns: str,
             read: Callable[[], T], hint: str | None = None) -> T | None:
        """``read()`` lookup ``path`` for ``stream``; None if it is refused or gave up.

        ``columns`` are those it fills (for the warnings); ``hint`` the stream named in the
        permission hint (by default ``stream``).
        """
        account = account_of(context) or ""
        if self.note(stream, context, path, columns):
            return None
        try:
            return read()
        except GiveUp as exc:
            with self._lock:
                self._failed[account, path] = exc
            self.note(stream, context, path, columns)
        except Refused as exc:
            with self._lock:
                first = (account, path) not in self._refused
                self._refused.add((account, path))
            if first:
                stream.tap.report.refused_lookup(
                    stream.logger, account, stream.name, path, f"answered {exc.status}",
                    columns, stream.tap.provider.permission_hint(hint or stream.name, path))
        return None

    def note(self, stream: ATSStream, context: Context | None, path: str, columns: str) -> bool:
        """Tell ``stream``, which fills ``columns`` from lookup ``path``, if it gave up."""
        with self._lock:
            exc = self._failed.get((account_of(context) or "", path))
        if exc is not None:
            stream.lookup_gave_up(context, path, columns, exc)
        return exc is not None

    def refused(self, context: Context | None, path: str) -> bool:
        """Whether lookup ``path`` was refused to the account earlier in the run."""
        with self._lock:
            return (account_of(context) or "", path) in self._refused


class ApiDown(FatalSyncError):
    """Every account of the run stopped because its API was down: the run fails as a whole."""


class Probation:
    """Accounts one of whose streams gave up on a 5xx or no connection, and accounts found down.

    A request of an account on probation is a probe (:meth:`tap_ats.http.Transport.send`); an
    answer ends the probation, a failed probe finds the API down for that account. Shared by
    every stream and worker thread of the run.
    """

    def __init__(self) -> None:
        #: Why each account on probation is there: the stream that gave up, and how.
        self._accounts: dict[str, str] = {}
        #: What failed, for each account that stopped because its API was taken to be down.
        self.down: dict[str, str] = {}
        self._lock = threading.Lock()

    def start(self, account: str, stream: str, exc: GiveUp) -> None:
        """``stream`` of ``account`` gave up (``exc``): the account's next request is a probe."""
        with self._lock:
            self._accounts[account] = f"{stream}: {exc}"

    def on(self, account: str) -> bool:
        """Whether ``account`` is on probation: its next request is a probe."""
        with self._lock:
            return account in self._accounts

    def end(self, account: str) -> None:
        """A request of ``account`` was answered: its API is up."""
        with self._lock:
            self._accounts.pop(account, None)

    def failed(self, account: str, exc: ProbeFailed) -> str:
        """The probe of ``account`` failed (``exc``): why its API is taken to be down."""
        with self._lock:
            before = self._accounts.pop(account, "a stream gave up")
            self.down[account] = f"{before}; then {exc}"
            return f"the API is down for this account ({self.down[account]})"


class AccountEndings:
    """How one stream of one account ends, reported: mixed into the stream base.

    The stream base's ``_read_account`` (:mod:`tap_ats.client`) sorts out each ending, as the
    module docstring says, and calls these.
    """

    name: str
    tap: TapATS

    def ended(self, context: Context) -> None:
        """The account was read in full: its bookmark moves to the start time, unless partial.

        A partial stream's rows went out with lookup columns null: the bookmark stays, so that
        the next run reads those rows again and fills them.
        """
        state = self.get_context_state(context)
        if self.tap.report.stream(account_of(context), self.name).status == "partial":
            state.pop("progress_markers", None)
        elif self.replication_method == "INCREMENTAL":
            markers = state.setdefault("progress_markers", {})
            markers["replication_key"] = self.replication_key
            markers["replication_key_value"] = self._window_ends[account_of(context)].isoformat()

    def gave_up(self, context: Context, exc: GiveUp | ProbeFailed) -> None:
        """A request of the stream ran out of retries (:class:`GiveUp`) or a probe failed.

        A give-up fails this stream alone; on a 5xx or no connection, it puts the account on
        probation. A failed probe means the API is down for the account: it stops.
        """
        self.get_context_state(context).pop("progress_markers", None)
        account = account_of(context) or ""
        if isinstance(exc, ProbeFailed):
            self.tap.account_failed(context, self.name, ProbeFailed(
                self.tap.probation.failed(account, exc)))
            return
        self.tap.stream_ended(context, self, "failed", exc)
        if exc.outage:
            self.tap.probation.start(account, self.name, exc)

    def without_optional(self, context: Context | None, exc: Refused | GiveUp) -> bool:
        """Whether the stream can be read again without what ``exc`` refused or gave up on.

        For a request that asks for something only enriching the rows (Merge's ``expand``):
        return True once it is left out for this account, and say which columns stay null.
        """
        return False

    def lookup_gave_up(self, context: Context | None, lookup: str, columns: str,
                       exc: GiveUp) -> None:
        """A lookup that only enriches this stream gave up: ``columns`` stay null in this run.

        The stream is read on and ends ``partial``: its bookmark stays (:meth:`ended`),
        so that the next run, with the lookup back, reads these rows again and fills them.
        """
        self.tap.report.lookup_gave_up(self.logger, account_of(context) or "", self.name,
                                       lookup, str(exc), columns)

    def _account_failed(self, context: Context | None, exc: Exception) -> None:
        """Drop the account's partial progress (its bookmark stays) and report it."""
        self.get_context_state(context).pop("progress_markers", None)
        self.tap.account_failed(context, self.name, exc)

    def _stream_ended(self, context: Context | None, status: str, exc: FatalAPIError) -> None:
        """Drop this stream's partial progress in the account (its bookmark stays); report it."""
        self.get_context_state(context).pop("progress_markers", None)
        self.tap.stream_ended(context, self, status, exc)
