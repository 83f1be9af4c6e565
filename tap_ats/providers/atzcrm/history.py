"""ATZ CRM candidate histories: what a run reads of them, and how.

:class:`History` is one candidate's rows in visit order, with the ids the tap builds for them
(:func:`row_ids`), split into what this run emits; :func:`history_rows` first checks the answer.
:class:`Slice` is the rotating full-refresh sweep: the list positions whose histories a run
re-reads so that every history is re-read within ``atzcrm_full_refresh_days``.
:class:`HistoryReader` is the candidate list read's history side: per page, which histories to
read, read with the jobs they name (overlapped, :mod:`tap_ats.overlap`), the 404s counted and
judged, the stage positions (:func:`median_low` of them orders ``job_stages``) and job statuses
learnt, and the slice moved on beside the bookmark. :class:`~.streams.Candidates` declares the
list endpoint on it.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import typing as t
from collections import Counter
from dataclasses import dataclass

import requests
from singer_sdk.exceptions import FatalAPIError

from tap_ats.conform import utc_now
from tap_ats.outcomes import account_of
from tap_ats.overlap import Overlap
from tap_ats.provider import number
from tap_ats.providers.atzcrm.client import (
    DEFAULT_REFRESH_DAYS,
    AtzStream,
    changed_since,
    parse_time,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

#: Listed candidates whose history may answer 404 (removed meanwhile) before the account fails:
#: more than this share, and at least ``MISSING_FLOOR`` of them, reads as an API change.
MISSING_SHARE = 0.05
MISSING_FLOOR = 10
HISTORY_PATH = "/candidate/{slug}/history"


class NotFound(FatalAPIError):
    """A 404: the slug asked for is gone."""


class History:
    """One candidate's history rows, split into what the tap emits this run."""

    def __init__(self, candidate: str, rows: list[dict], since: dt.datetime | None) -> None:
        self.rows = sorted(rows, key=lambda r: (r["stage_date"] or "", r["updated_at"] or ""))
        # Keyed by the row object: the ids need the whole history, the callers hold single rows.
        self._ids = dict(zip(map(id, self.rows), row_ids(candidate, self.rows), strict=True))
        self.new = [r for r in self.rows if since is None or changed_since(r["updated_at"], since)]
        #: Jobs whose derived rows are emitted again: those with a new row.
        self.jobs = sorted({r["job_slug"] for r in self.new})

    def row_id(self, row: dict) -> str:
        """The stable id of one of this history's rows."""
        return self._ids[id(row)]

    def of_job(self, job: str) -> list[dict]:
        """The rows of one application, in visit order."""
        return [r for r in self.rows if r["job_slug"] == job]

    def jobs_since(self, when: dt.datetime | None) -> set[str]:
        """Jobs with a row changed at or after ``when`` (all jobs if None)."""
        return {r["job_slug"] for r in self.rows
                if when is None or changed_since(r["updated_at"], when)}


def history_rows(candidate: str, rows: t.Any) -> list[dict]:
    """A candidate's history as ATZ documents it, or an error that names what is wrong."""
    if rows is None:
        return []
    ok = isinstance(rows, list) and all(
        isinstance(r, dict) and isinstance(r.get("talent_stage"), dict)
        and r["talent_stage"].get("id") is not None and r.get("job_slug") is not None
        and "stage_date" in r and "updated_at" in r for r in rows)
    if not ok:
        msg = (f"atzcrm GET /candidate/{{slug}}/history of candidate {candidate!r} answered "
               "something other than a list of history rows (objects with job_slug, "
               "talent_stage.id, stage_date, updated_at); stopping this account rather than "
               "loading it wrong")
        raise FatalAPIError(msg)
    for row in rows:
        row["job_slug"] = str(row["job_slug"])
    return rows


def median_low(histogram: Counter[int]) -> int:
    """The low median of the values a histogram counts, without expanding it.

    Sorting every position met so far on each row made the derivation quadratic in the
    account's size; a stage's positions take only a handful of values.
    """
    rank, seen = (sum(histogram.values()) - 1) // 2, 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen > rank:
            return value
    msg = "an empty histogram has no median"
    raise ValueError(msg)


def row_ids(candidate: str, rows: list[dict]) -> list[str]:
    """The ids of a candidate's history rows, given in visit order (ATZ gives rows none).

    ``<candidate>:<job>:<talent stage>:<n>``: the n-th stay of the application in that stage.
    """
    stays: Counter[str] = Counter()
    out = []
    for row in rows:
        stay = f"{candidate}:{row['job_slug']}:{row['talent_stage']['id']}"
        stays[stay] += 1
        out.append(f"{stay}:{stays[stay]}")
    return out


@dataclass
class Slice:
    """The list positions whose histories this run re-reads: ``count`` from ``start``, wrapping.

    ``count`` equal to ``total`` reads every history (first sync, or a full refresh). ``at`` is
    when the run planned it: the next run's slice covers the time since.
    """

    start: int
    count: int
    total: int
    at: dt.datetime
    #: A slice candidate's jobs are read only if they have a row changed since then (None: all).
    jobs_since: dt.datetime | None = None

    def __contains__(self, position: int) -> bool:
        return self.count >= self.total or (position - self.start) % self.total < self.count

    @property
    def next_start(self) -> int:
        """Where the next run's slice begins."""
        return (self.start + self.count) % self.total if self.total else 0


class HistoryReader(AtzStream):
    """The candidate list read that also reads the histories it must and the jobs they name.

    It holds what the derived streams read (:attr:`histories`, :attr:`jobs`, ...) for the page
    being emitted; :class:`~.streams.Candidates` declares the endpoint, pages and columns.
    """

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        self._context: Context | None = None
        #: The history and job reads, overlapped on ``max_concurrency`` threads (one pool for
        #: the run).
        self.overlap = Overlap(self.tap.max_concurrency, "atz-history")
        self._slice: Slice | None = None
        #: The histories read on the page being emitted, by candidate slug.
        self.histories: dict[str, History] = {}
        #: Jobs read this run, by slug (None: gone), and ids already emitted by a child this run.
        self.jobs: dict[str, dict | None] = {}
        self.emitted: set[tuple[str, str]] = set()
        #: Per job, the ``job_status`` of its latest history row read this run.
        self.job_status: dict[str, tuple[str, dict]] = {}
        #: Per talent stage, how often it stood at each 0-based position in the application
        #: histories read this run (a histogram: positions are few, histories many), and the
        #: order its row was last emitted with in this run.
        self.positions: dict[str, Counter[int]] = {}
        self.orders: dict[str, int | None] = {}
        #: Candidates listed in this account's pass so far (for the progress line's ETA), and
        #: how many of the histories read answered 404.
        self.listed = 0
        self.missing = 0
        #: Candidates listed in this run whose ``slug`` came as a number (ATZ documents a string).
        self.numbered = 0

    def validate_response(self, response: requests.Response) -> None:
        """A 404 becomes :class:`NotFound`, which history and job reads treat as gone."""
        if response.status_code == 404:
            raise NotFound(self.response_error_message(response))
        super().validate_response(response)

    def get_records(self, context: Context | None) -> Iterable[dict]:
        """Read one account; then move the slice on, beside the bookmark."""
        self._context, self._slice = context, None
        self.jobs, self.emitted, self.job_status = {}, set(), {}
        self.positions, self.orders, self.listed, self.missing = {}, {}, 0, 0
        self.numbered = 0
        yield from super().get_records(context)
        if self.missing and not self.tap.failed(context):
            self._report_missing(context)
        if self.numbered:
            self.logger.warning(
                "atzcrm: GET /candidate gave %d candidates a slug that is a number (ATZ documents "
                "a string); each was read by its text form", self.numbered)
        state = self.get_context_state(context)
        if self._slice is not None and state.get("progress_markers", {}).get(
                "replication_key_value"):  # the account is out in full: its bookmark moves
            state["history_slice"] = self._slice.next_start
            state["history_slice_at"] = self._slice.at.isoformat()

    def _report_missing(self, context: Context | None) -> None:
        """One WARNING for the histories that answered 404, or the account's failure.

        A few candidates removed while the run read them are normal; a larger share (more than
        ``MISSING_SHARE`` of those listed, and at least ``MISSING_FLOOR``) means the history path
        itself changed, and reading on would load an account with its histories silently gone.
        """
        if self.missing >= MISSING_FLOOR and self.missing > MISSING_SHARE * self.listed:
            msg = (f"atzcrm GET {HISTORY_PATH} answered 404 for {self.missing} of "
                   f"{self.listed} listed candidates (more than {MISSING_SHARE:.0%}): the path "
                   "looks changed in the API, not candidates deleted")
            self._account_failed(context, FatalAPIError(msg))
            return
        self.logger.warning(
            "atzcrm: GET %s answered 404 for %d of %d listed candidates (removed while the run "
            "read them?); their history was not read in this run", HISTORY_PATH, self.missing,
            self.listed)

    def plan(self, total: int) -> Slice:
        """The slice of ``total`` listed candidates to re-read in this run, from the state.

        Its size is the share of the refresh period elapsed since the previous slice was
        planned (``history_slice_at``, not the bookmark: moving a bookmark back to re-read
        changes must not make the slice sweep everyone). A slice candidate's jobs were read
        when their rows were new (the slice comes round within the period), so only jobs
        with a row from the last two periods are read again.
        """
        state, now = self.get_context_state(self._context), utc_now()
        start = int(state.get("history_slice") or 0) % max(total, 1)
        days = number(self.config, "atzcrm_full_refresh_days", DEFAULT_REFRESH_DAYS)
        previous = state.get("history_slice_at") or state.get("replication_key_value")
        if not state.get("replication_key_value") or not previous or days <= 0:
            return Slice(start, total, total, now)
        share = max((now - parse_time(str(previous))).total_seconds(), 0.0) / (days * 86400)
        since = self.start_time(self._context)
        recent = None if since is None else since - dt.timedelta(days=2 * days)
        return Slice(start, min(total, math.ceil(total * share)), total, now, recent)

    def parse_page(self, answer: Answer) -> Iterator[dict]:
        """Map a page, read the histories it must (and new jobs), emit what was read."""
        payload = answer.body
        page = [self.unified(raw) for raw in self.page(answer)]
        if self._slice is None:
            self._slice = self.plan(int(payload.get("total") or len(page)))
        since, floor = self.start_time(self._context), self._floor()
        first = (int(payload["current_page"]) - 1) * int(payload.get("per_page") or len(page))
        swept = {c["id"] for i, c in enumerate(page) if first + i in self._slice}
        read = [c for c in page if c["id"] in swept or since is None or (
            c["updated_at"] is not None and changed_since(c["updated_at"], since))]
        rows = self._fetch_all([("candidate", c["id"], "history") for c in read])
        self.missing += sum(r is None for r in rows)
        self.histories = {c["id"]: History(c["id"], history_rows(c["id"], r),
                                           floor if c["id"] in swept else since)
                          for c, r in zip(read, rows, strict=True)}
        for history in self.histories.values():
            self._learn(history)
        wanted = sorted(set().union(*(
            h.jobs_since(self._slice.jobs_since if c in swept else since)
            for c, h in self.histories.items())) - set(self.jobs))
        self.jobs.update(zip(wanted, self._fetch_all([("job", j) for j in wanted],
                                                     maximize="owner"), strict=True))
        self.listed += len(page)
        self.progress.page(len(read), self._eta(payload.get("total")))
        self._page_last = read[-1] if read else None
        yield from read

    def _floor(self) -> dt.datetime | None:
        """The oldest change a full read emits: ``start_date`` less the lookback, if set."""
        start = self.config.get("start_date")
        if not start:
            return None
        return parse_time(str(start)) - dt.timedelta(minutes=self.tap.lookback_minutes)

    def _learn(self, history: History) -> None:
        """Note the stage positions and the latest job status that one history shows."""
        for job in {r["job_slug"] for r in history.rows}:
            for position, row in enumerate(history.of_job(job)):
                stage = str((row.get("talent_stage") or {}).get("id"))
                self.positions.setdefault(stage, Counter())[position] += 1
                status = row.get("job_status")
                seen = self.job_status.get(job)
                if status and (seen is None or (row["updated_at"] or "") >= seen[0]):
                    self.job_status[job] = (row["updated_at"] or "", status)

    def _eta(self, total: t.Any) -> str:
        """The pass's candidates left and, at the pace so far, when it ends."""
        if not isinstance(total, int) or not self.listed:
            return ""
        left = max(total - self.listed, 0)
        seconds = left * (time.monotonic() - self.progress.started) / self.listed
        return (f"; history pass: {self.listed} of {total} candidates listed, {left} left, "
                f"ETA {dt.timedelta(seconds=round(seconds))}")

    def _fetch_all(self, paths: list[tuple[str, ...]], **params: str) -> list[t.Any]:
        """The body of every path (segments, with ``params``), in order; None for a 404 (gone).

        Read by :attr:`overlap`, paced and retried as any request: up to ``max_concurrency``
        at once when the API is slow enough for that to pay, else one after another here. A
        read that fails raises here once those before it are in; the rest are dropped.
        """

        def get(segments: tuple[str, ...]) -> t.Any:
            try:
                return self.get(segments, self._context, **params).body
            except NotFound:
                return None

        return list(self.overlap.map(get, paths, account_of(self._context) or ""))
