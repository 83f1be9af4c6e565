"""ATZ CRM (``https://api.atzcrm.com/v1``): candidates, their stage history, and what it yields.

Behaviour choices (ATZ documents little beyond the fields; the sandbox behaves the same way):

- Auth: ``Authorization: Bearer <api_token>``; one token is one account (``account_id`` setting,
  default ``atzcrm``). Errors carry ``{"message": ...}``; 401 fails fast naming ``api_token``.
- ``GET /candidate?page=&limit=``: page numbers from 1, ``limit`` at most 100 (the tap's
  ``page_size``), Laravel-style envelope ``{"current_page", "data", "last_page", "per_page",
  "total"}``; the last page is the one where ``current_page >= last_page``. ATZ has no
  modified-since filter and no documented sort by update time, so every run lists every
  candidate (no early stop).
- ``GET /candidate/:slug/history``: one un-paged array per candidate. For each page of
  candidates, the histories are fetched concurrently (``max_concurrency`` threads, one
  ``requests.Session`` each) through the same pacer and retry path as every other request;
  only the main thread writes Singer messages. A 404 (candidate removed meanwhile) is read as
  an empty history, counted, and reported in one WARNING per run; more than 5% of the listed
  candidates (and at least 10) answering 404 is an API change, not deletions: the account
  fails naming the path, its bookmark and slice kept.
- ``GET /job/:slug?maximize=owner``: each job with a new row in the histories read is read once
  per run and yields ``jobs`` and ``job_hiring_team`` (its owner, see :class:`JobHiringTeam`);
  these reads run concurrently too (for a slice candidate: a row of the last two refresh
  periods; older jobs were read when their rows were new). ATZ's job read does not carry a status:
  ``jobs.status``/``status_raw`` come from the ``job_status`` of the job's latest history row
  read in the run, when the job read lacks one.
- Ids are slugs. A history row has no id in ATZ, so the tap builds one from what identifies the
  row, the n-th stay of the candidate's application in a talent stage:
  ``<candidate slug>:<job slug>:<talent_stage id>:<n>`` (n from 1, in visit order). It leaves
  out what a recruiter can edit (comment, visibility, ``updated_at``), so an edited row is
  upserted in place rather than written again beside the old one; a derived application is
  ``<candidate slug>:<job slug>``; its ``application_stages`` rows (``origin=derived``) reuse the
  history row ids; ``jobs.stages`` is null.
- Job stages: ATZ's talent stages belong to the account's talent funnel, shared by every job,
  so ``job_stages`` has one row per talent stage (id = talent stage id) with ``job_id`` null:
  a row's key and ``job_id`` never depend on which job a run meets first. ``order`` is the
  median (low) 0-based position of the stage in the applications' histories read so far in the
  run (how candidates actually move; ATZ lists no funnel order we could read); ``active`` is
  unknown (null). The rows of stages met on a page are emitted with that page.
- Stage visits: rows of one application are ordered by ``(stage_date, updated_at)``;
  ``entered_at`` is the row's ``stage_date`` (the date the recruiter gave the move, which ATZ
  lets them set) at 00:00 UTC, ``exited_at`` the next row's, ``is_current`` the last row. The
  application's ``applied_at`` is the first row's date, ``updated_at`` the latest row's
  ``updated_at``, its current stage the last row's, and ``status`` comes from the stage name
  (placed/hired, rejected/declined/withdrawn), else ``active``; ``status_raw`` is that name.
- Incremental: ATZ has no change filter, so every run lists every candidate (cheap: 100 a
  page), but reads the history only of
  (a) candidates whose list row changed (``updated_at`` at or after the bookmark less
  ``lookback_window``): their history rows from that time on are emitted, with everything
  derived from their changed applications; and
  (b) a rotating slice of the list, so that every candidate's history is re-read within
  ``atzcrm_full_refresh_days`` (default 7) even if a history change never touched the
  candidate's ``updated_at`` (ATZ's docs do not promise it does). The slice is the next
  ``ceil(total * elapsed / period)`` list positions after the previous slice (elapsed = time
  since the previous sync started; daily runs read ``ceil(total / 7)``); everything of a
  slice candidate is emitted again (upserts make that harmless).
  The first sync (no bookmark) reads every history, and so does any run with
  ``atzcrm_full_refresh_days: 0``. State per account: the bookmark, ``history_slice`` (the
  list position the next slice starts at) and ``history_slice_at`` (when this slice was
  planned), all written only after every row of the run is out, so a run killed at any point
  repeats its slice and loses nothing. Trade-off: a history
  change that leaves the candidate's ``updated_at`` alone reaches the warehouse within the
  period, not at the next run; to force a full re-read, run once with
  ``atzcrm_full_refresh_days: 0`` (or clear the state). A candidate deleted in ATZ shifts the
  list positions after it, so a candidate can miss one period's slice (it is read in the next).
- ``GET /activity``: interviews, newest change first, down to the bookmark (:class:`Interviews`;
  docs.atzcrm.com, endpoints/activities: show-all-activity, get-activity, add-activity).
- Not offered, for want of anything in ATZ's documented API to read them from: offers,
  departments, offices, rejection reasons, sources, scorecards, demographics, users (only
  embedded ``updated_by``/owner/creator objects) and custom field definitions; ``custom_fields``
  stays null (ATZ documents custom fields only as ``{id, value}`` on writes).
- Deletes: ATZ shows none (webhooks are its only delete signal), so ``deleted_at`` stays null.
- Rate limit: 60 requests per 60 s per token; the default budget is 60 requests/minute, paced
  with a 2% margin. The first sync costs ``ceil(N / 100)`` list pages + ``N`` history calls +
  one call per distinct job + ``ceil(I / 25)`` pages of the ``I`` interviews (about three
  hours for 10,000 candidates). A daily run then costs ``ceil(N / 100)`` pages + changed
  candidates + ``ceil(N / 7)`` history calls + one call per job met + the interview pages
  changed since the bookmark (one, mostly): at 10,000 candidates and 1% changed, at most
  100 + 100 + 1,429 history-side calls instead of 10,100.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import typing as t
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import PageNumberPaginator

from tap_ats.client import ATSStream
from tap_ats.conform import day, ts, utc_now
from tap_ats.derived import DerivedStream
from tap_ats.provider import Provider, SettingError, number

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

HIRED = ("placed", "hired", "joined")
REJECTED = ("rejected", "declined", "withdrawn", "not interested")
DEFAULT_REFRESH_DAYS = 7
JOB_STATUS = {"in progress": "open", "open": "open", "won": "closed", "lost": "closed",
              "closed": "closed", "draft": "draft"}
#: ATZ's inbuilt "Interview" activity type, and the most activities a page may hold.
INTERVIEW_TYPE = 5
ACTIVITY_LIMIT = 25
#: Listed candidates whose history may answer 404 (removed meanwhile) before the account fails:
#: more than this share, and at least ``MISSING_FLOOR`` of them, reads as an API change.
MISSING_SHARE = 0.05
MISSING_FLOOR = 10
HISTORY_PATH = "/candidate/{slug}/history"


class AtzCrm(Provider):
    """ATZ CRM: one account per API token."""

    name = "atzcrm"
    default_url = "https://api.atzcrm.com/v1"
    max_page_size = 100
    required = ("api_token",)
    default_requests_per_minute = 60

    def validate(self) -> None:
        """The base checks, plus a non-negative ``atzcrm_full_refresh_days``."""
        super().validate()
        days = number(self.config, "atzcrm_full_refresh_days", DEFAULT_REFRESH_DAYS)
        if days < 0:
            msg = ("setting 'atzcrm_full_refresh_days' must be a number of days, 0 or more "
                   "(0 re-reads every history on every run), got "
                   f"{self.config['atzcrm_full_refresh_days']!r}")
            raise SettingError(msg)

    def stream_classes(self) -> list[type]:
        """Candidates, their history, what derives from it and the job reads; interviews."""
        return [Candidates, CandidateHistory, Applications, ApplicationStages, JobStages, Jobs,
                JobHiringTeam, Interviews]

    def error_detail(self, response: t.Any) -> str:
        """ATZ's ``message``."""
        try:
            return str(response.json()["message"])
        except (ValueError, KeyError, TypeError):
            return super().error_detail(response)

    def auth_hint(self, status: int) -> str:
        """Which ATZ credential to check."""
        return "Check setting 'api_token' (an ATZ CRM API token)"

    def permission_hint(self, stream: str, path: str) -> str:
        """ATZ CRM documents no per-endpoint permission: the token's user must see them."""
        return f"check that the API token's user may read {path} in ATZ CRM"


class NotFound(FatalAPIError):
    """A 404: the slug asked for is gone."""


class AtzStream(ATSStream):
    """An ATZ CRM list endpoint: the API token as a bearer token."""

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        """The API token as a bearer token (a header, never in the URL)."""
        return BearerTokenAuthenticator(token=self.config["api_token"])


class LastPagePaginator(PageNumberPaginator):
    """Page numbers until ``current_page`` reaches ``last_page``.

    A page can yield no record once unchanged candidates are filtered out; the stream goes on
    after empty pages while the paginator has more.
    """

    def has_more(self, response: Answer) -> bool:  # type: ignore[override]
        """Whether a page follows this one."""
        payload = response.body
        return payload["current_page"] < payload["last_page"]


class History:
    """One candidate's history rows, split into what the tap emits this run."""

    def __init__(self, candidate: str, rows: list[dict], since: dt.datetime | None) -> None:
        self.rows = sorted(rows, key=lambda r: (r["stage_date"] or "", r["updated_at"] or ""))
        # Keyed by the row object: the ids need the whole history, the callers hold single rows.
        self._ids = dict(zip(map(id, self.rows), row_ids(candidate, self.rows), strict=True))
        self.new = [r for r in self.rows if since is None or _changed_since(r["updated_at"], since)]
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
                if when is None or _changed_since(r["updated_at"], when)}


def _time(value: str) -> dt.datetime:
    """A bookmark or setting (checked at start) as a datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _changed_since(value: t.Any, since: dt.datetime) -> bool:
    """Whether a change time is at or after ``since``; an unreadable one counts as changed."""
    stamp = ts(value)
    if stamp is None or stamp.__class__ is not str:
        return True
    return _time(stamp) >= since


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


def midnight(date: str | None) -> str | None:
    """A ``YYYY-MM-DD`` date as RFC 3339 at 00:00 UTC (unreadable if it is no date)."""
    return ts(date)


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


class Candidates(AtzStream):
    """``GET /candidate``, read in full; fetches the histories it must and the jobs they name.

    Children are :class:`DerivedStream` s fed from :attr:`histories`; they are written before the
    partition completes, so neither the bookmark nor the slice position ever passes rows that
    are not out.
    """

    name = "candidates"
    path = "/candidate"

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        self._context: Context | None = None
        self._pool: ThreadPoolExecutor | None = None
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

    def get_new_paginator(self) -> LastPagePaginator:
        """Pages 1, 2, ... up to ``last_page``."""
        return LastPagePaginator(1)

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        """``page`` and ``limit``; ATZ has no change filter."""
        return {"page": next_page_token or 1, "limit": self.page_size}

    def validate_response(self, response: requests.Response) -> None:
        """A 404 becomes :class:`NotFound`, which history and job reads treat as gone."""
        if response.status_code == 404:
            raise NotFound(self.response_error_message(response))
        super().validate_response(response)

    def get_records(self, context: Context | None) -> Iterable[dict]:
        """Read one account with a worker pool; then move the slice on, beside the bookmark.

        The pool is not waited for when the read ends early (a failure, a signal): its
        in-flight calls finish or time out on their own, and nothing they return is used.
        """
        self._context, self._slice = context, None
        self.jobs, self.emitted, self.job_status = {}, set(), {}
        self.positions, self.orders, self.listed, self.missing = {}, {}, 0, 0
        self._pool = ThreadPoolExecutor(self.tap.max_concurrency, thread_name_prefix="atz-history")
        try:
            yield from super().get_records(context)
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self.missing and not self.tap.failed(context):
            self._report_missing(context)
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
        share = max((now - _time(str(previous))).total_seconds(), 0.0) / (days * 86400)
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
            c["updated_at"] is not None and _changed_since(c["updated_at"], since))]
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
        return _time(str(start)) - dt.timedelta(minutes=self.tap.lookback_minutes)

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

    def records_from(self, payload: dict) -> list[dict]:
        """Candidates in ``data``."""
        return payload["data"]

    def _eta(self, total: t.Any) -> str:
        """The pass's candidates left and, at the pace so far, when it ends."""
        if not isinstance(total, int) or not self.listed:
            return ""
        left = max(total - self.listed, 0)
        seconds = left * (time.monotonic() - self.progress.started) / self.listed
        return (f"; history pass: {self.listed} of {total} candidates listed, {left} left, "
                f"ETA {dt.timedelta(seconds=round(seconds))}")

    def _fetch_all(self, paths: list[tuple[str, ...]], **params: str) -> list[t.Any]:
        """GET every path (segments, with ``params``) concurrently, paced and retried as any.

        None for what is gone (404).
        """

        def get(segments: tuple[str, ...]) -> t.Any:
            try:
                return self.get(segments, self._context, **params).body
            except NotFound:
                return None

        return list(self._pool.map(get, paths))

    def map_record(self, raw: dict) -> dict:
        """ATZ candidate to the unified columns."""
        return {
            "id": str(raw["slug"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "first_name": raw.get("first_name"), "last_name": raw.get("last_name"),
            "emails": [raw["email"]] if raw.get("email") else [],
            "phones": [raw["phone"]] if raw.get("phone") else [],
            "company": raw.get("current_organization"), "title": raw.get("current_position"),
            "tags": [str(tag) for tag in raw.get("tags") or []],
        }


class AtzDerived(DerivedStream):
    """A stream derived from candidate histories, with no request of its own."""

    parent_stream_type = Candidates

    @property
    def parent(self) -> Candidates:
        """The candidates stream, which holds the page's histories and the run's jobs."""
        return self._tap.streams[Candidates.name]

    def base(self, candidate: dict, row_id_: str, at: str | None) -> dict:
        """The common columns of a derived row."""
        return {"provider": candidate["provider"], "account_id": candidate["account_id"],
                "id": row_id_, "remote_id": None, "created_at": at, "updated_at": at,
                "deleted_at": None, "_sdc_deleted_at": None}

    def first_time(self, key: str) -> bool:
        """Whether ``key`` of this stream is still to be emitted in this run."""
        seen = self.parent.emitted
        if (self.name, key) in seen:
            return False
        seen.add((self.name, key))
        return True

    def raw(self, value: dict) -> dict | None:
        """The source value, unless ``include_raw`` is off."""
        return value if self._tap.include_raw else None


class CandidateHistory(AtzDerived):
    """``candidate_history``: the new rows of ``GET /candidate/:slug/history``, every field kept."""

    name = "candidate_history"

    def derive(self, parent_record: dict) -> list[dict]:
        """One row per new history row."""
        cand, history = parent_record, self.parent.histories[parent_record["id"]]
        out = []
        for row in history.new:
            org, user = row.get("organization") or {}, row.get("updated_by") or {}
            stage, visibility = row.get("talent_stage") or {}, row.get("visibility")
            out.append({
                **self.base(cand, history.row_id(row), ts(row["updated_at"])),
                "candidate_id": cand["id"], "job_id": row["job_slug"],
                "job_name": row.get("job_name"), "organization_id": org.get("slug"),
                "organization_name": org.get("name"),
                "job_status": (row.get("job_status") or {}).get("name"),
                "stage_id": str(stage["id"]), "stage_name": stage.get("name"),
                "stage_date": day(row.get("stage_date")),
                "visibility": None if visibility is None else bool(visibility),
                "comment": row.get("comment"),
                "updated_by_id": None if user.get("id") is None else str(user["id"]),
                "updated_by_name": user.get("full_name"), "updated_by_email": user.get("email"),
                "raw": self.raw(row),
            })
        return out


def application_status(stage_name: str | None) -> str:
    """The unified status an ATZ talent stage name implies."""
    name = (stage_name or "").lower()
    if any(word in name for word in HIRED):
        return "hired"
    if any(word in name for word in REJECTED):
        return "rejected"
    return "active"


class Applications(AtzDerived):
    """``applications``: one per (candidate, job) with a new history row."""

    name = "applications"

    def derive(self, parent_record: dict) -> list[dict]:
        """The application of each job the candidate has new rows on, from all its rows."""
        cand, history = parent_record, self.parent.histories[parent_record["id"]]
        out = []
        for job in history.jobs:
            rows = history.of_job(job)
            first, last = rows[0], rows[-1]
            stage = last["talent_stage"]
            out.append({
                **self.base(cand, f"{cand['id']}:{job}", ts(first["updated_at"])),
                "updated_at": max(ts(r["updated_at"]) for r in rows),
                "candidate_id": cand["id"], "job_id": job,
                "current_stage_id": str(stage["id"]), "current_stage_name": stage.get("name"),
                "status": application_status(stage.get("name")), "status_raw": stage.get("name"),
                "applied_at": midnight(first.get("stage_date")), "rejected_at": None,
                "rejection_reason": None, "source": None, "raw": None,
            })
        return out


class ApplicationStages(AtzDerived):
    """``application_stages`` (``origin=derived``): every row of each changed application."""

    name = "application_stages"

    def derive(self, parent_record: dict) -> list[dict]:
        """One visit per history row; it ends where the application's next row begins."""
        cand, history = parent_record, self.parent.histories[parent_record["id"]]
        out = []
        for job in history.jobs:
            rows = history.of_job(job)
            for i, row in enumerate(rows):
                nxt = rows[i + 1] if i + 1 < len(rows) else None
                stage = row["talent_stage"]
                out.append({
                    **self.base(cand, history.row_id(row), ts(row["updated_at"])),
                    "application_id": f"{cand['id']}:{job}", "job_id": job,
                    "candidate_id": cand["id"], "stage_id": str(stage["id"]),
                    "stage_name": stage.get("name"), "entered_at": midnight(row.get("stage_date")),
                    "exited_at": midnight(nxt.get("stage_date")) if nxt else None,
                    "is_current": nxt is None, "origin": "derived", "observed_at": None,
                    "raw": self.raw(row),
                })
        return out


class JobStages(AtzDerived):
    """``job_stages``: the account's talent stages met on a page, one row each, ``job_id`` null."""

    name = "job_stages"

    def derive(self, parent_record: dict) -> list[dict]:
        """Each talent stage of the candidate's changed applications, unless already out.

        ``order`` is the median position of the stage over every history read so far in the
        run; a row goes out again only when a later page's larger sample moves it (an upsert).
        """
        cand, history = parent_record, self.parent.histories[parent_record["id"]]
        orders, out = self.parent.orders, []
        for job in history.jobs:
            for row in history.of_job(job):
                stage = row["talent_stage"]
                key = str(stage["id"])
                positions = self.parent.positions.get(key)
                order = median_low(positions) if positions else None
                if key not in orders or orders[key] != order:
                    orders[key] = order
                    out.append({**self.base(cand, key, None), "job_id": None,
                                "name": stage.get("name"), "order": order, "active": None,
                                "raw": self.raw(stage)})
        return out


class Jobs(AtzDerived):
    """``jobs``: each job met in the histories read, as ``GET /job/:slug`` read it this run."""

    name = "jobs"

    def derive(self, parent_record: dict) -> list[dict]:
        """Each of the candidate's changed jobs not yet emitted in this run.

        ATZ's job read has no status; the job's latest history row's ``job_status`` stands in.
        """
        cand = parent_record
        out = []
        for job in self.parent.histories[cand["id"]].jobs:
            raw = self.parent.jobs.get(job)
            if raw is None or not self.first_time(job):
                continue
            status = (raw.get("job_status") or self.parent.job_status.get(job, ("", {}))[1]
                      or {}).get("name")
            out.append({
                **self.base(cand, raw["slug"], ts(raw.get("created_at"))),
                "updated_at": ts(raw.get("updated_at")), "name": raw.get("position_name"),
                "code": None, "status": JOB_STATUS.get((status or "").lower(), "other"),
                "status_raw": status, "opened_at": midnight(raw.get("open_date")),
                "closed_at": midnight(raw.get("close_date")), "stages": None,
                "raw": self.raw(raw),
            })
        return out


def user_id(value: t.Any) -> str | None:
    """A user reference as its id: ATZ gives an object with ``id`` when maximized, else the id."""
    if isinstance(value, dict):
        value = value.get("id")
    return None if value is None or isinstance(value, bool | dict | list) else str(value)


class JobHiringTeam(AtzDerived):
    """``job_hiring_team``: each job's owner, from the job reads :class:`Jobs` uses (no request).

    ATZ names one owner per job (``owner_id`` is required when a job is added; the job read
    expands it with ``maximize=owner``). Its role is ``other`` (``role_raw`` ``owner``): every
    ATZ record has an owner, candidates and contacts too, so the owner is whoever holds the
    record, not a hiring-team role ATZ would name recruiter or hiring manager.
    """

    name = "job_hiring_team"

    def derive(self, parent_record: dict) -> list[dict]:
        """The owner of each of the candidate's changed jobs not yet emitted in this run."""
        cand = parent_record
        out = []
        for job in self.parent.histories[cand["id"]].jobs:
            raw = self.parent.jobs.get(job)
            owner = user_id((raw or {}).get("owner"))
            if raw is None or owner is None or not self.first_time(job):
                continue
            out.append({
                **self.base(cand, f"{raw['slug']}:{owner}:other", ts(raw.get("created_at"))),
                "updated_at": ts(raw.get("updated_at")), "job_id": str(raw["slug"]),
                "user_id": owner, "role": "other", "role_raw": "owner",
                "raw": self.raw(raw["owner"]) if isinstance(raw["owner"], dict) else None,
            })
        return out


class ActivityPaginator(LastPagePaginator):
    """Page numbers, newest change first, up to the first row older than ``since``.

    ``GET /activity`` sorts by ``updated_at`` descending, so every later row is older too. A row
    whose ``updated_at`` cannot be read counts as changed (the read goes on).
    """

    def __init__(self, since: dt.datetime | None) -> None:
        super().__init__(1)
        self.since = since

    def has_more(self, response: Answer) -> bool:  # type: ignore[override]
        """Whether a page follows and this one still ended inside the window."""
        rows = response.body["data"]
        if self.since is not None and rows and not _changed_since(
                rows[-1].get("updated_at"), self.since):
            return False
        return super().has_more(response)


def activity_times(raw: dict) -> tuple[str | None, str | None]:
    """An activity's start and end: ``start_date`` with ``start_time`` / ``end_time``, in UTC.

    ATZ reads back a date and two ``HH:MM`` clock times with no zone (it is written as ISO 8601
    UTC); an end before the start is taken to be on the next day.
    """
    try:
        start = dt.datetime.fromisoformat(f"{raw['start_date']}T{raw['start_time']}")
    except (KeyError, TypeError, ValueError):
        return None, None
    start = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    try:
        end = dt.datetime.combine(start.date(), dt.time.fromisoformat(str(raw["end_time"])),
                                  start.tzinfo)
    except (KeyError, TypeError, ValueError):
        return ts(start.isoformat()), None
    if end < start:
        end += dt.timedelta(days=1)
    return ts(start.isoformat()), ts(end.isoformat())


class Interviews(AtzStream):
    """``GET /activity`` of type Interview, newest change first, down to the bookmark.

    ATZ's activity list is paged (``page``, ``limit`` at most 25), sortable by ``updated_at``
    descending and filterable by ``activity_type_id`` (5 is the inbuilt "Interview"); it has
    no change filter, so the read stops at the first row older than the bookmark less the
    lookback. An activity is related to one record (``related_to``, ``related_to_type``) and
    lists its attendees: ``job_id`` is the related job, the candidate the related candidate or
    else the one candidate attendee, ``application_id`` ``<candidate slug>:<job slug>`` when
    both are known (an interview logged on a candidate names no job, so it stays null).
    ``stage_id`` stays null (an activity names no talent stage), ``status`` is ``complete``
    when ``mark_as_done``, else ``scheduled`` (ATZ has no cancelled state and no status text,
    so ``status_raw`` stays null), ``organizer_id`` the creator, ``interviewer_ids`` the user
    attendees, ``location`` the location or else the meeting link.
    """

    name = "interviews"
    path = "/activity"
    #: The account's start time, set when its read begins (the paginator stops there).
    _since: dt.datetime | None = None

    def get_records(self, context: Context | None) -> Iterable[dict]:
        """Read one account from its own start time (the paginator stops there)."""
        self._since = self.start_time(context)
        yield from super().get_records(context)

    def get_new_paginator(self) -> ActivityPaginator:
        """Pages 1, 2, ... until ``last_page`` or a row older than the window."""
        return ActivityPaginator(self._since)

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        """Interviews only, newest change first, creators expanded."""
        return {"page": next_page_token or 1, "limit": min(self.page_size, ACTIVITY_LIMIT),
                "activity_type_id": INTERVIEW_TYPE, "sort_by": "updated_at",
                "sort_order": "desc", "maximize": "created_by"}

    def records_from(self, payload: dict) -> list[dict]:
        """Only interviews changed inside the window (the last page may reach past it)."""
        return [row for row in payload["data"]
                if (row.get("activity_type") or {}).get("id") == INTERVIEW_TYPE
                and (self._since is None or _changed_since(row.get("updated_at"), self._since))]

    def map_record(self, raw: dict) -> dict:
        """ATZ interview activity to the unified columns."""
        kind, target = raw.get("related_to_type"), raw.get("related_to")
        attendees = raw.get("attendees") or {}
        people = [str(c["slug"]) for c in attendees.get("candidates") or [] if c.get("slug")]
        job = str(target) if kind == "job" and target else None
        candidate = (str(target) if kind == "candidate" and target
                     else people[0] if len(people) == 1 else None)
        done = raw.get("mark_as_done")
        start, end = activity_times(raw)
        return {
            "id": raw["id"], "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "application_id": f"{candidate}:{job}" if candidate and job else None,
            "job_id": job, "stage_id": None, "title": raw.get("title"),
            "status": None if done is None else "complete" if done else "scheduled",
            "status_raw": None, "start_at": start, "end_at": end,
            "location": raw.get("location") or raw.get("meeting_link"),
            "organizer_id": user_id(raw.get("created_by")),
            "interviewer_ids": [u for u in map(user_id, attendees.get("users") or []) if u],
        }
