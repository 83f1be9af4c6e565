"""What happened to each account and each of its streams in one run, for people and schedulers.

Every stream of every account ends in one outcome: ``ok`` (read in full, its bookmark moved),
``partial`` (read in full, but a lookup that fills some of its columns gave up: those columns are
null, the bookmark is kept so that the next run fills them; the run exits 3), ``skipped`` (the
credential or the account may not read it: a 403, or a 404 on its list path; bookmark kept, the
rest of the account read) or ``failed`` (bookmark kept; the run exits 3). An account is
``failed`` when it was given up (a refused credential, its API down) or one of its streams
failed, ``partial`` when streams were skipped or partial or lookups refused (columns left null),
else ``ok``.

With the ``run_report`` setting the tap writes these outcomes, with the records and requests
of each stream, as one JSON file at the end of the run, whatever the exit code; its shape is
documented in the README ("When something is wrong").
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading
import time
import typing as t
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

if t.TYPE_CHECKING:
    import logging


@dataclass
class StreamOutcome:
    """One stream of one account: how it ended, why, and what it cost."""

    status: str = "ok"
    reason: str | None = None
    http_status: int | None = None
    records: int = 0
    requests: int = 0
    #: Lookups that only enrich the stream and were refused: the columns they fill are null.
    refused_lookups: list[str] = field(default_factory=list)
    #: Lookups that only enrich the stream and gave up (retries ran out): the columns they fill
    #: are null until the next run, which reads these rows again (the bookmark is kept).
    failed_lookups: list[str] = field(default_factory=list)


class RunReport:
    """The outcomes of one run, by account and stream (request counts come from any thread)."""

    def __init__(self, provider: str, account_failures: dict[str, str]) -> None:
        self.provider = provider
        self.started_at = dt.datetime.now(dt.UTC)
        self.streams: dict[str, dict[str, StreamOutcome]] = defaultdict(dict)
        #: Accounts given up as a whole, with the reason: the provider's own record of them.
        self.account_failures = account_failures
        #: Accounts skipped for this run because they are not ready yet, with the reason.
        self.skipped_accounts: dict[str, str] = {}
        #: (account, lookup) of every lookup that gave up, each warned about once.
        self._failed_lookups: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def stream(self, account: str, stream: str) -> StreamOutcome:
        """The outcome of ``stream`` in ``account`` (``ok`` until told otherwise)."""
        with self._lock:
            return self.streams[account].setdefault(stream, StreamOutcome())

    def rename(self, old: str, new: str) -> None:
        """Count what was done under a provisional name (a Merge token's label) as ``new``'s."""
        with self._lock:
            moved = self.streams.pop(old, {})
        for stream, outcome in moved.items():
            self.stream(new, stream).requests += outcome.requests

    def refused_lookup(self, logger: logging.Logger, account: str, stream: str, lookup: str,
                       refusal: str, columns: str, fix: str) -> None:
        """Record that ``lookup``, which only enriches ``stream``, was refused, and warn once.

        One wording for every provider: the account, what was refused and how, the columns
        left null (the stream itself is read), and what would fill them.
        """
        self.stream(account, stream).refused_lookups.append(lookup)
        logger.warning("Account %s: %s %s, so %s stay null (the stream itself is read). "
                       "To fill them, %s", account, lookup, refusal, columns, fix)

    def lookup_gave_up(self, logger: logging.Logger, account: str, stream: str, lookup: str,
                       reason: str, columns: str) -> None:
        """Record that ``lookup``, which only enriches ``stream``, gave up; warn once per account.

        The stream is ``partial``: its rows are out with those columns null, and its bookmark
        stays where it was, so that the next run reads them again and fills them.
        """
        outcome = self.stream(account, stream)
        with self._lock:
            if lookup not in outcome.failed_lookups:
                outcome.failed_lookups.append(lookup)
            if outcome.status == "ok":
                outcome.status = "partial"
                outcome.reason = f"lookup {lookup} failed ({reason}); {columns} left null"
            first = (account, lookup) not in self._failed_lookups
            self._failed_lookups.add((account, lookup))
        if first:
            logger.warning("Account %s: lookup %s failed (%s), so %s stay null in this run (the "
                           "streams are read); their bookmarks are kept, so the next run fills "
                           "them", account, lookup, reason, columns)

    def request(self, account: str, stream: str) -> None:
        """Count one request (worker threads call this too)."""
        outcome = self.stream(account, stream)
        with self._lock:
            outcome.requests += 1

    def end(self, account: str, stream: str, status: str, reason: str,
            http_status: int | None = None) -> None:
        """Record that ``stream`` of ``account`` was ``skipped`` or ``failed``, and why."""
        outcome = self.stream(account, stream)
        outcome.status, outcome.reason, outcome.http_status = status, reason, http_status

    def skip_account(self, account: str, stream: str, reason: str) -> None:
        """Record that ``account`` is skipped for this run (found out on ``stream``)."""
        with self._lock:
            self.skipped_accounts[account] = f"{stream}: {reason}"
        self.end(account, stream, "skipped", reason)

    def skipped(self) -> list[tuple[str, str]]:
        """(account, stream) of every stream skipped for want of permission."""
        return [(account, name) for account, streams in self.streams.items()
                if account not in self.skipped_accounts
                for name, outcome in streams.items() if outcome.status == "skipped"]

    def failed_streams(self) -> dict[str, str]:
        """``account: stream: reason`` of every stream that failed in an account not given up."""
        return {f"{account} ({name})": outcome.reason or "failed"
                for account, streams in self.streams.items() if account not in
                self.account_failures for name, outcome in streams.items()
                if outcome.status == "failed"}

    def partial_streams(self) -> dict[str, str]:
        """``account (stream): reason`` of every stream read with lookup columns left null."""
        return {f"{account} ({name})": outcome.reason or "partial"
                for account, streams in self.streams.items() if account not in
                self.account_failures for name, outcome in streams.items()
                if outcome.status == "partial"}

    def unreadable_accounts(self) -> list[str]:
        """Accounts of which every stream read was skipped: the key can read none of them."""
        return [account for account, streams in self.streams.items()
                if account not in self.account_failures and account not in self.skipped_accounts
                and streams
                and all(o.status == "skipped" for o in streams.values())]

    def account_status(self, account: str) -> str:
        """``failed``, ``partial`` or ``ok`` (see the module docstring)."""
        outcomes = self.streams.get(account, {}).values()
        statuses = {o.status for o in outcomes}
        if account in self.account_failures or "failed" in statuses:
            return "failed"
        if account in self.skipped_accounts:
            return "skipped"
        return "partial" if statuses & {"skipped", "partial"} or any(
            o.refused_lookups for o in outcomes) else "ok"

    def as_dict(self, exit_code: int) -> dict[str, t.Any]:
        """The report as JSON-ready data."""
        accounts = sorted(set(self.streams) | set(self.account_failures))
        return {
            "provider": self.provider,
            "started_at": self.started_at.isoformat(),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(),
            "exit_code": exit_code,
            "accounts": {account: {
                "status": self.account_status(account),
                "reason": self.account_failures.get(account) or self.skipped_accounts.get(
                    account),
                "streams": {name: asdict(outcome)
                            for name, outcome in sorted(self.streams.get(account, {}).items())},
            } for account in accounts},
        }

    def write(self, path: str, exit_code: int) -> None:
        """Write the report to ``path`` whole or not at all (a temporary file, then a rename)."""
        target = Path(path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(self.as_dict(exit_code), out, indent=2)
        Path(tmp).replace(target)


class Progress:
    """What one stream has read so far, logged every ``interval`` seconds while it reads.

    A long sync (ATZ CRM's history pass takes hours) otherwise says nothing between its start
    and its end; one INFO line per stream and interval says it is alive and how fast it goes.
    """

    def __init__(self, stream: str, interval: float, logger: logging.Logger) -> None:
        self.stream, self.interval, self.logger = stream, interval, logger
        self.started = time.monotonic()
        self.due = self.started + interval
        self.records = 0
        self.requests = 0
        self._lock = threading.Lock()

    def request(self) -> None:
        """Count one request (called from worker threads too)."""
        with self._lock:
            self.requests += 1

    def page(self, records: int, detail: str = "") -> None:
        """Count a page's records; log a line if the interval has passed."""
        self.records += records
        now = time.monotonic()
        if now < self.due:
            return
        self.due = now + self.interval
        elapsed = now - self.started
        self.logger.info("Progress of %s: %d records, %d requests in %.0f s (%.0f records/s)%s",
                         self.stream, self.records, self.requests, elapsed,
                         self.records / elapsed if elapsed else 0.0, detail)
