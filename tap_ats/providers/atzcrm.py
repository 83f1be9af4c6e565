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
  an empty history.
- ``GET /job/:slug``: each job met in new history rows is read once per run, concurrently too.
  A job is re-read only when a candidate on it has new rows (ATZ lists no jobs by change time).
- Ids are slugs. A history row has no id in ATZ, so the tap builds a stable one from its content:
  ``<candidate slug>:<job slug>:<talent_stage id>:<updated_at>``; a derived application is
  ``<candidate slug>:<job slug>``; its ``application_stages`` rows (``origin=derived``) reuse the
  history row ids; ``job_stages`` are the talent stages met (id = talent stage id, ``job_id`` =
  the job it was met on; order and active are unknown, so null), ``jobs.stages`` is null.
- Stage visits: rows of one application are ordered by ``(stage_date, updated_at)``;
  ``entered_at`` is the row's ``stage_date`` (the date the recruiter gave the move, which ATZ
  lets them set) at 00:00 UTC, ``exited_at`` the next row's, ``is_current`` the last row. The
  application's ``applied_at`` is the first row's date, ``updated_at`` the latest row's
  ``updated_at``, its current stage the last row's, and ``status`` comes from the stage name
  (placed/hired, rejected/declined/withdrawn), else ``active``; ``status_raw`` is that name.
- Incremental: history rows whose ``updated_at`` is older than the bookmark less
  ``lookback_window`` are not emitted again, nor are unchanged candidates. When a candidate has
  a new row, everything derived from it is emitted again (applications, all their stage rows so
  that ``exited_at`` and ``is_current`` move on, and the job stages and jobs of those jobs, once
  per run). The bookmark is the partition's start time, written after all of these rows.
- Deletes: ATZ shows none (webhooks are its only delete signal), so ``deleted_at`` stays null.
- Rate limit: 60 requests per 60 s per token; the default budget is 60 requests/minute, paced
  with a 2% margin. A full sync costs ``ceil(N / 100)`` list pages + ``N`` history calls + one
  call per distinct job, so about 58 candidates a minute: 10,000 candidates take about three
  hours, and so does every incremental run (histories must all be re-read).
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import PageNumberPaginator

from tap_ats.client import ATSStream, DerivedStream, day, ts
from tap_ats.http import body
from tap_ats.providers import Provider

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

HIRED = ("placed", "hired", "joined")
REJECTED = ("rejected", "declined", "withdrawn", "not interested")
JOB_STATUS = {"in progress": "open", "open": "open", "won": "closed", "lost": "closed",
              "closed": "closed", "draft": "draft"}


class AtzCrm(Provider):
    """ATZ CRM: one account per API token."""

    name = "atzcrm"
    default_url = "https://api.atzcrm.com/v1"
    max_page_size = 100
    required = ("api_token",)
    default_requests_per_minute = 60

    def stream_classes(self) -> list[type]:
        """Candidates, their history, and the streams derived from it (no interviews)."""
        return [Candidates, CandidateHistory, Applications, ApplicationStages, JobStages, Jobs]

    def error_detail(self, response: t.Any) -> str:
        """ATZ's ``message``."""
        try:
            return str(response.json()["message"])
        except (ValueError, KeyError, TypeError):
            return super().error_detail(response)

    def auth_hint(self, status: int) -> str:
        """Which ATZ credential to check."""
        if status == 401:
            return "Check setting 'api_token' (an ATZ CRM API token)"
        return "Check that the API token may read candidates and jobs"


class NotFound(FatalAPIError):
    """A 404: the slug asked for is gone."""


class LastPagePaginator(PageNumberPaginator):
    """Page numbers until ``current_page`` reaches ``last_page``.

    A page can yield no record once unchanged candidates are filtered out; the stream goes on
    after empty pages while the paginator has more.
    """

    def has_more(self, response: requests.Response) -> bool:
        """Whether a page follows this one."""
        payload = body(response)
        return payload["current_page"] < payload["last_page"]


class History:
    """One candidate's history rows, split into what the tap emits this run."""

    def __init__(self, rows: list[dict], since: dt.datetime | None) -> None:
        self.rows = sorted(rows, key=lambda r: (r["stage_date"] or "", r["updated_at"] or ""))
        self.new = [r for r in self.rows if since is None or _changed_since(r["updated_at"], since)]
        #: Jobs whose derived rows are emitted again: those with a new row.
        self.jobs = sorted({r["job_slug"] for r in self.new})

    def of_job(self, job: str) -> list[dict]:
        """The rows of one application, in visit order."""
        return [r for r in self.rows if r["job_slug"] == job]


def _changed_since(value: t.Any, since: dt.datetime) -> bool:
    """Whether a change time is at or after ``since``; an unreadable one counts as changed."""
    stamp = ts(value)
    if stamp is None or stamp.__class__ is not str:
        return True
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) >= since


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


def row_id(candidate: str, row: dict) -> str:
    """A history row's stable id: ATZ gives rows none."""
    return f"{candidate}:{row['job_slug']}:{row['talent_stage']['id']}:{row['updated_at']}"


def midnight(date: str | None) -> str | None:
    """A ``YYYY-MM-DD`` date as RFC 3339 at 00:00 UTC (unreadable if it is no date)."""
    return ts(date)


class Candidates(ATSStream):
    """``GET /candidate``, read in full; fetches each page's histories and jobs for the children.

    Children are :class:`DerivedStream` s fed from :attr:`histories`; they are written before the
    partition completes, so the bookmark never passes rows that are not out.
    """

    name = "candidates"
    path = "/candidate"

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        self._context: Context | None = None
        self._pool: ThreadPoolExecutor | None = None
        #: The histories of the page being emitted, by candidate slug.
        self.histories: dict[str, History] = {}
        #: Jobs read this run, by slug (None: gone), and ids already emitted by a child this run.
        self.jobs: dict[str, dict | None] = {}
        self.emitted: set[tuple[str, str]] = set()
        #: Candidates read in this account's pass so far (for the progress line's ETA).
        self.read = 0

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        """The API token as a bearer token (a header, never in the URL)."""
        return BearerTokenAuthenticator(token=self.config["api_token"])

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
        """Read one account with a worker pool for its history and job calls.

        The pool is not waited for when the read ends early (a failure, a signal): its
        in-flight calls finish or time out on their own, and nothing they return is used.
        """
        self._context = context
        self.jobs, self.emitted, self.read = {}, set(), 0
        self._pool = ThreadPoolExecutor(self.tap.max_concurrency, thread_name_prefix="atz-history")
        try:
            yield from super().get_records(context)
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def parse_response(self, response: requests.Response) -> Iterator[dict]:
        """Map a page, fetch its histories (and new jobs), keep only what changed."""
        page = [self.unified(raw) for raw in self.page(response)]
        self.repaired += response.__dict__.get("repaired", 0)
        since = self.start_time(self._context)
        rows = self._fetch_all([("candidate", c["id"], "history") for c in page])
        self.histories = {c["id"]: History(history_rows(c["id"], r), since)
                          for c, r in zip(page, rows, strict=True)}
        wanted = sorted({j for h in self.histories.values() for j in h.jobs} - set(self.jobs))
        self.jobs.update(zip(wanted, self._fetch_all([("job", j) for j in wanted]), strict=True))
        out = [c for c in page if since is None or self.histories[c["id"]].new
               or (c["updated_at"] is not None and _changed_since(c["updated_at"], since))]
        self.read += len(page)
        self.progress.page(len(out), self._eta(body(response).get("total")))
        self._page_last = out[-1] if out else None
        yield from out

    def records_from(self, payload: dict) -> list[dict]:
        """Candidates in ``data``."""
        return payload["data"]

    def _eta(self, total: t.Any) -> str:
        """The history pass's candidates left and, at the pace so far, when it ends."""
        if not isinstance(total, int) or not self.read:
            return ""
        left = max(total - self.read, 0)
        seconds = left * (time.monotonic() - self.progress.started) / self.read
        return (f"; history pass: {self.read} of {total} candidates read, {left} left, "
                f"ETA {dt.timedelta(seconds=round(seconds))}")

    def _fetch_all(self, paths: list[tuple[str, ...]]) -> list[t.Any]:
        """GET every path (segments) concurrently, paced and retried like any request.

        None for what is gone (404); the characters replaced in bad bytes are counted.
        """

        def get(segments: tuple[str, ...]) -> requests.Response | None:
            try:
                return self.get(segments, self._context)
            except NotFound:
                return None

        out = []
        for response in self._pool.map(get, paths):
            if response is not None:
                self.repaired += response.__dict__.get("repaired", 0)
            out.append(None if response is None else body(response))
        return out

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
        cand = parent_record
        out = []
        for row in self.parent.histories[cand["id"]].new:
            org, user = row.get("organization") or {}, row.get("updated_by") or {}
            stage, visibility = row.get("talent_stage") or {}, row.get("visibility")
            out.append({
                **self.base(cand, row_id(cand["id"], row), ts(row["updated_at"])),
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
                    **self.base(cand, row_id(cand["id"], row), ts(row["updated_at"])),
                    "application_id": f"{cand['id']}:{job}", "job_id": job,
                    "candidate_id": cand["id"], "stage_id": str(stage["id"]),
                    "stage_name": stage.get("name"), "entered_at": midnight(row.get("stage_date")),
                    "exited_at": midnight(nxt.get("stage_date")) if nxt else None,
                    "is_current": nxt is None, "origin": "derived", "observed_at": None,
                    "raw": self.raw(row),
                })
        return out


class JobStages(AtzDerived):
    """``job_stages``: the talent stages met on changed applications, once per run."""

    name = "job_stages"

    def derive(self, parent_record: dict) -> list[dict]:
        """Each talent stage of the candidate's changed jobs not yet emitted in this run."""
        cand, history = parent_record, self.parent.histories[parent_record["id"]]
        out = []
        for job in history.jobs:
            for row in history.of_job(job):
                stage = row["talent_stage"]
                if self.first_time(str(stage["id"])):
                    out.append({**self.base(cand, str(stage["id"]), None), "job_id": job,
                                "name": stage.get("name"), "order": None, "active": None,
                                "raw": self.raw(stage)})
        return out


class Jobs(AtzDerived):
    """``jobs``: each job met on changed applications, as ``GET /job/:slug`` read it this run."""

    name = "jobs"

    def derive(self, parent_record: dict) -> list[dict]:
        """Each of the candidate's changed jobs not yet emitted in this run."""
        cand = parent_record
        out = []
        for job in self.parent.histories[cand["id"]].jobs:
            raw = self.parent.jobs.get(job)
            if raw is None or not self.first_time(job):
                continue
            status = (raw.get("job_status") or {}).get("name")
            out.append({
                **self.base(cand, raw["slug"], ts(raw.get("created_at"))),
                "updated_at": ts(raw.get("updated_at")), "name": raw.get("position_name"),
                "code": None, "status": JOB_STATUS.get((status or "").lower(), "other"),
                "status_raw": status, "opened_at": midnight(raw.get("open_date")),
                "closed_at": midnight(raw.get("close_date")), "stages": None,
                "raw": self.raw(raw),
            })
        return out
