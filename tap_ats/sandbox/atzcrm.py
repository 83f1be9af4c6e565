"""ATZ CRM (``/atzcrm/v1/...``) as ATZ documents it, with the gaps filled and written down here.

- Auth: ``Authorization: Bearer <token>``; anything else is ``401 {"message": "Unauthorized"}``.
  Errors are ``{"message": "<text>"}`` (ATZ documents only the words: 400 "Unprocessable Entity",
  401 "Unauthorized"); an unknown slug is ``404 {"message": "... not found"}``.
- ``GET /candidate?page=&limit=``: Laravel-style envelope ``{"current_page", "data",
  "last_page", "per_page", "total"}`` (ATZ's slugs and page/limit read like Laravel; the envelope
  itself is undocumented). ``limit`` is 1 to 100 (default 20); a page past the last is empty.
  Order is by candidate id, oldest first, so new candidates land on the last page. No
  modified-since filter and no sorting by update time are offered (none is documented). A
  candidate's ``updated_at`` moves with a change to one of its applications for three
  candidates in four, and never for the fourth (every candidate id divisible by 4): ATZ does
  not promise that a stage move touches the candidate, and the tap must cope with both.
- ``GET /candidate/:slug/history[?job_slug=]``: a bare array, newest first, one row per stage
  event of the candidate on any job, with exactly the documented fields. Each stage visit of an
  application in the world is one row: ``talent_stage.id`` is the job stage id, ``stage_date``
  the UTC date the visit began and ``updated_at`` its exact time (so rows never change once
  written). ``talent_stage`` is a stage of the account's talent funnel, shared by every job:
  its id is the stage's place in the funnel (1 for "Application Review" ...), the same on every
  job. ``job_status`` is the job's status (open "In Progress", closed "Won", draft "On Hold").
- ``GET /job/:slug[?maximize=owner]``: one job with the documented fields (``position_name``,
  ``open_date``, ``close_date``, ...); like ATZ's documented job, it has no status. Its
  ``owner`` (ATZ requires ``owner_id`` on every job) is the world's recruiter on the job, else
  its first hiring-team member, else user 1 (the admin): the user id, or with
  ``maximize=owner`` (or ``all``) an object ``{id, slug, full_name, email}``.
- ``GET /activity?page=&limit=&sort_by=&sort_order=&activity_type_id=&related_to_entity=
  &related_to=&maximize=``: ATZ's documented activity list, here the world's interviews as
  activities of the inbuilt type 5 "Interview" (nothing else is logged). ``limit`` 1 to 25
  (default 25), ``sort_by`` ``created_at``/``updated_at`` (default), ``sort_order``
  ``asc``/``desc`` (default), ties by id in the same direction; anything else is 400. The
  envelope is Laravel's (``total``, ``per_page``, ``current_page``, ``last_page``,
  ``next_page_url``, ``prev_page_url``, ``from``, ``to``, ``data``). An interview is related
  to its job (``related_to_type`` ``job``) with its candidate as the one candidate attendee
  and its interviewers as user attendees; ``start_date``/``start_time``/``end_time`` are the
  UTC date and ``HH:MM`` clock times (seconds dropped, an end past midnight shows the smaller
  clock time), ``mark_as_done`` is true once complete, ``created_by`` is the organizer (the
  id, or an object with ``maximize=created_by``). Interviews never change once scheduled, so
  ``updated_at`` is their creation time. The list faults (``empty_pages``, ``bad_bytes``,
  ``bad_records``) do not touch it.
- Deletes: ATZ shows none. A deleted application's history stays; hires and rejections that the
  world records without a stage move leave no row (ATZ models them as talent stages).
- Rate limit: 60 requests per 60 s per token, a fixed window (``60 * time_scale`` seconds), only
  when ``rate_limits`` is on: ``429 {"message": "Too Many Attempts."}`` with ``Retry-After``
  (seconds to the window's end, at least 1) and ``X-RateLimit-Limit``/``-Remaining``, as
  Laravel's throttle sends them. ATZ documents no such headers: UNCONFIRMED.
- Paths: each segment is percent-decoded on its own, so a slug sent as one encoded segment
  (``%2F``, ``%3F``, ``%23``, ``%25``, ...) resolves and one sent raw does not.
- Hostile side (see ``server.py``): with ``reset {"odd_slugs": true}`` candidate and job slugs
  start with ``ODD_SLUGS`` (``/``, ``..``, ``?``, ``#``, ``%``, spaces, non-ASCII). The
  ``empty_pages`` fault cannot hand out a fresh cursor here (pages are numbers), so it keeps
  ``last_page`` honest instead: a page number chosen by a seeded hash of (seed, limit, page) is
  served empty, the next number serves what it should have held, every later page shifts by
  one, and ``last_page`` counts the empty pages (never two in a row, so rate 1 still ends).
  ``repeat_cursor`` and ``foreign_next`` do not apply (no cursor, no link). ``bad_bytes`` and
  ``bad_records`` spoil the first candidate of a list page and the first row of a history
  (history has no date-time field the tap neither keys nor bookmarks on, so only its
  organization slug is served as an integer there).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from tap_ats.sandbox.server import (
    Damage,
    FixedWindow,
    ProviderAPI,
    Request,
    Response,
    iso,
    truth_entry,
)
from tap_ats.sandbox.world import Application, Candidate, Interview, Job, Stage, Visit, World

API_TOKEN = "atz_sandbox_token_0123456789abcdef"  # noqa: S105 - the sandbox's own dummy token
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
ACTIVITY_LIMIT = 25
INTERVIEW_TYPE = {"id": 5, "label": "Interview"}
ENTITIES = {"candidate": 1, "job": 2}
RATE_LIMIT = 60
JOB_STATUS = {"open": (1, "In Progress"), "closed": (2, "Won"), "draft": (3, "On Hold")}
ORGANIZATIONS = ["Acme Corp", "Beta Solutions", "Globex", "Initech", "Umbrella Staffing"]
USER_NAMES = [("John", "Doe"), ("Jane", "Smith"), ("Ravi", "Patel"), ("Mia", "Wong"),
              ("Lars", "Holm")]
#: Slug starts under ``odd_slugs``. Sent raw, ``/``, ``..``, ``?``, ``#``, ``%2e%2e`` and ``%41``
#: miss the candidate (404); the space and non-ASCII ones only prove the encoding round-trips.
ODD_SLUGS = ["../job/x", "a?b=c", "50% off", "#frag", "zoë garcía", "x/y", "%2e%2e", "100%41"]
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil: a candidate list page's first
#: candidate (``phone`` served as an integer) and a history's first row.
DAMAGE = {
    "candidate": Damage("candidates", ("first_name", "last_name", "current_position",
                                       "current_organization"), "phone", ("created_at",)),
    "history": Damage("candidate_history", ("job_name", "organization.name"),
                      "organization.slug", ()),
}


def slug(kind: str, n: int | str, odd: bool = False) -> str:
    """An ATZ-style slug (``candidate_<20 hex>``), stable per kind and number.

    ``odd`` puts one of ``ODD_SLUGS`` in front, in order from number 1 (the first five cover
    every kind: the small world has five jobs).
    """
    plain = f"{kind}_{hashlib.blake2b(f'{kind}:{n}'.encode(), digest_size=10).hexdigest()}"
    return f"{ODD_SLUGS[(int(n) - 1) % len(ODD_SLUGS)]}-{plain}" if odd else plain


def talent_id(stage: Stage) -> int:
    """The talent stage a job stage is: its place in the funnel every job shares."""
    return stage.order + 1


def day(t: dt.datetime) -> str:
    """The UTC date of ``t`` as ATZ prints ``stage_date``."""
    return t.astimezone(dt.UTC).date().isoformat()


def midnight(date: str) -> str:
    """A ``stage_date`` as the timestamp the tap uses for ``entered_at``/``exited_at``."""
    return f"{date}T00:00:00.000Z"


def error(status: int, message: str) -> Response:
    """ATZ's plain error body."""
    return Response(status, {"message": message})


class _Index:
    """Slug lookups and candidate → applications, extended as the world grows (append-only)."""

    def __init__(self, slugs: Callable[[str, int], str]) -> None:
        self.slug = slugs
        self.candidates: dict[str, Candidate] = {}
        self.jobs: dict[str, Job] = {}
        self.applications: dict[int, list[Application]] = {}
        self._seen = (0, 0, 0)

    def update(self, w: World) -> None:
        c0, j0, a0 = self._seen
        for c in w.candidates[c0:]:
            self.candidates[self.slug("candidate", c.id)] = c
        for j in w.jobs[j0:]:
            self.jobs[self.slug("job", j.id)] = j
        for a in w.applications[a0:]:
            self.applications.setdefault(a.candidate_id, []).append(a)
        self._seen = (len(w.candidates), len(w.jobs), len(w.applications))


class AtzCrmAPI(ProviderAPI):
    """The ATZ CRM wire format over one world (one account: one API token)."""

    name = "atzcrm"
    accounts = ["atzcrm"]

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self._limit = FixedWindow(RATE_LIMIT, 60.0 * sandbox.time_scale)
        self._index = _Index(self.slug)
        self._index_lock = threading.Lock()
        #: The interviews sorted for the activity list, by (sort key, order, world size).
        self._sorted: dict[tuple[str, str], tuple[int, list[Interview]]] = {}

    def config(self, base_url: str) -> dict[str, Any]:
        """Config for tap-ats; the request budget follows the sandbox's (scaled) rate limit.

        Without rate limits the budget is set high so that tests are not paced at 60/minute.
        Runs against the sandbox are seconds apart, not days, so every run re-reads every
        history (``atzcrm_full_refresh_days: 0``); tests of the rotating slice set it.
        """
        rpm = int(RATE_LIMIT / self.sandbox.time_scale) if self.sandbox.rate_limits else 100_000
        return {"provider": "atzcrm", "api_url": f"{base_url}/atzcrm/v1", "api_token": API_TOKEN,
                "start_date": "2024-01-01T00:00:00Z", "max_requests_per_minute": rpm,
                "atzcrm_full_refresh_days": 0}

    def _world(self) -> tuple[World, _Index]:
        w = self.world(self.accounts[0])
        with self._index_lock:
            self._index.update(w)
        return w, self._index

    def slug(self, kind: str, n: int) -> str:
        """The slug of a candidate or job, odd when the sandbox was reset with ``odd_slugs``."""
        return slug(kind, n, self.sandbox.odd_slugs)

    # Rendering ---------------------------------------------------------------------------------

    def _candidate(self, c: Candidate, apps: list[Application]) -> dict[str, Any]:
        updated = c.updated_at
        if c.id % 4:
            updated = max([updated, *(a.updated_at for a in apps)])
        return {
            "id": c.id, "slug": self.slug("candidate", c.id), "first_name": c.first_name,
            "last_name": c.last_name, "full_name": f"{c.first_name} {c.last_name}",
            "email": c.email, "phone": c.phone, "current_position": c.title,
            "current_organization": c.company, "tags": list(c.tags),
            "created_at": iso(c.created_at), "updated_at": iso(updated),
        }

    @staticmethod
    def _organization(j: Job) -> dict[str, Any]:
        name = ORGANIZATIONS[j.id % len(ORGANIZATIONS)]
        return {"slug": slug("organization", name), "name": name}

    def _job(self, w: World, j: Job, maximize: set[str]) -> dict[str, Any]:
        owner = self._owner(w, j.id)
        return {
            "id": j.id, "slug": self.slug("job", j.id), "position_name": j.name, "headcount": 1,
            "tags": [], "description": f"{j.name} ({j.code})", "talent_funnel_id": 1,
            "organization": self._organization(j),
            "open_date": day(j.opened_at), "close_date": day(j.closed_at) if j.closed_at else None,
            "city": "Berlin", "state": None, "country": "Germany",
            "owner": self._user_ref(owner) if maximize & {"owner", "all"} else owner,
            "created_at": iso(j.created_at), "updated_at": iso(j.updated_at),
        }

    @staticmethod
    def _owner(w: World, job_id: int) -> int:
        """The job's owner: its recruiter, else its first hiring-team member, else the admin."""
        team = [m for m in w.hiring_team if m.job_id == job_id]
        return next((m.user_id for m in team if m.role == "recruiter"),
                    team[0].user_id if team else 1)

    def _user_ref(self, user_id: int) -> dict[str, Any]:
        """A user as ATZ expands one (``maximize``): id, slug, full name, email."""
        user = self._user(user_id)
        return {"id": user_id, "slug": self.slug("user", user_id), "full_name": user["full_name"],
                "email": user["email"]}

    def _activity(self, w: World, i: Interview, maximize: set[str]) -> dict[str, Any]:
        """One interview as an ATZ activity related to its job."""
        app = w.applications.get(i.application_id)
        cand = w.candidates.get(app.candidate_id)
        job = self.slug("job", i.job_id)
        every = "all" in maximize
        creator = (self._user_ref(i.organizer_id) if every or "created_by" in maximize
                   else i.organizer_id)
        return {
            "id": i.id, "title": i.title, "activity_type": dict(INTERVIEW_TYPE),
            "related_to": job, "related_to_type": "job",
            **({"related_record": {"slug": job}} if every or "related_record" in maximize
               else {}),
            "collaborators": [],
            "start_date": day(i.start_at), "start_time": f"{i.start_at:%H:%M}",
            "end_time": f"{i.end_at:%H:%M}",
            "attendees": {
                "candidates": [{"slug": self.slug("candidate", cand.id),
                                "full_name": f"{cand.first_name} {cand.last_name}"}],
                "contacts": [],
                "users": [{k: v for k, v in self._user_ref(u).items() if k != "slug"}
                          for u in i.interviewer_ids]},
            "meeting_link": None, "importance": "normal", "location": i.location,
            "description": None, "do_not_send_calendar_invite": False,
            "mark_as_done": i.status == "complete", "attachment": None,
            "created_by": creator,
            "updated_by": creator if every or "updated_by" in maximize else i.organizer_id,
            "created_at": iso(i.created_at), "updated_at": iso(i.updated_at),
        }

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        first, last = USER_NAMES[user_id % len(USER_NAMES)]
        return {"id": user_id, "email": f"{first.lower()}.{last.lower()}.{user_id}@example.com",
                "first_name": first, "last_name": last, "full_name": f"{first} {last}",
                "role": "Admin" if user_id == 1 else "Recruiter", "phone": f"+1555{user_id:07d}"}

    def _history_row(self, w: World, a: Application, v: Visit) -> dict[str, Any]:
        job, stage = w.job(a.job_id), w.stage(v.stage_id)
        status_id, status_name = JOB_STATUS[job.status]
        return {
            "job_slug": self.slug("job", job.id), "job_name": job.name,
            "organization": self._organization(job),
            "job_status": {"id": status_id, "name": status_name},
            "talent_stage": {"id": talent_id(stage), "name": stage.name},
            "stage_date": day(v.entered_at), "visibility": 0 if v.id % 7 == 0 else 1,
            "comment": None if v.id % 3 else f"Moved to {stage.name}",
            "updated_by": self._user(v.updated_by), "updated_at": iso(v.entered_at),
        }

    # Requests ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Serve ``GET /atzcrm/v1/candidate[/:slug/history]`` and ``GET /atzcrm/v1/job/:slug``."""
        auth = request.headers.get("authorization")
        if auth != f"Bearer {API_TOKEN}":
            return error(401, "Unauthorized")
        if self.sandbox.rate_limits:
            allowed, _, reset = self._limit.hit(API_TOKEN)
            if not allowed:
                wait = max(1, math.ceil(reset - time.time()))
                return Response(429, {"message": "Too Many Attempts."}, {
                    "Retry-After": str(wait), "X-RateLimit-Limit": str(RATE_LIMIT),
                    "X-RateLimit-Remaining": "0"})
        parts = [unquote(part) for part in request.path.split("/")[3:]]
        match parts:
            case ["candidate"]:
                return self._list(request)
            case ["candidate", candidate, "history"]:
                return self._history(request, candidate)
            case ["job", job]:
                return self._get_job(request, job)
            case ["activity"]:
                return self._activities(request)
        return error(404, f"Route {request.path} not found")

    def _list(self, request: Request) -> Response:
        try:
            page = int(request.arg("page", "1"))
            limit = int(request.arg("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            return error(400, "Unprocessable Entity: page and limit must be integers")
        if page < 1 or not 1 <= limit <= MAX_LIMIT:
            return error(400, f"Unprocessable Entity: page >= 1 and limit 1 to {MAX_LIMIT}")
        w, index = self._world()
        total = len(w.candidates)
        serves, last_page = self._plan(page, limit, max(1, math.ceil(total / limit)))
        rows = [] if serves is None else w.candidates[(serves - 1) * limit: serves * limit]
        data = [self._candidate(c, index.applications.get(c.id, [])) for c in rows]
        response = Response(200, {"current_page": page, "data": data, "last_page": last_page,
                                  "per_page": limit, "total": total},
                            faults=["empty"] if serves is None else [])
        if data:
            self.sandbox.spoil(request, response, self.accounts[0], DAMAGE["candidate"],
                               data[0]["slug"], data[0])
        return response

    def _plan(self, page: int, limit: int, pages: int) -> tuple[int | None, int]:
        """The real page a page number serves (None: empty) and ``last_page`` under ``empty_pages``.

        The rolls hash (seed, limit, page) instead of using the sandbox's generator, so every
        request of one page number, retries and concurrent readers included, sees one plan.
        """
        rate = self.sandbox.faults.get("empty_pages", 0)
        if not rate:
            return page, pages
        serves, last, real, p, was_empty = None, 0, 0, 0, False
        while real < pages or p < page:
            p += 1
            roll = zlib.crc32(f"{self.sandbox.seed}:{limit}:{p}".encode()) / 2**32
            empty = not was_empty and real < pages and roll < rate
            real += not empty
            if p == page:
                serves = None if empty else real
            if real == pages and not empty and not last:
                last = p
            was_empty = empty
        return serves, last

    def _history(self, request: Request, candidate_slug: str) -> Response:
        w, index = self._world()
        cand = index.candidates.get(candidate_slug)
        if cand is None:
            return error(404, "Candidate not found")
        job_slug = request.arg("job_slug")
        rows = [self._history_row(w, a, v) for a in index.applications.get(cand.id, [])
                if job_slug is None or self.slug("job", a.job_id) == job_slug
                for v in a.visits]
        rows.sort(key=lambda r: (r["stage_date"], r["updated_at"]), reverse=True)
        response = Response(200, rows)
        if rows:
            first = rows[0]  # the latest row: its stay number counts every row of its stage
            stays = sum(r["job_slug"] == first["job_slug"]
                        and r["talent_stage"]["id"] == first["talent_stage"]["id"] for r in rows)
            key = f"{candidate_slug}:{first['job_slug']}:{first['talent_stage']['id']}:{stays}"
            self.sandbox.spoil(request, response, self.accounts[0], DAMAGE["history"], key,
                               first)
        return response

    def _get_job(self, request: Request, job_slug: str) -> Response:
        w, index = self._world()
        job = index.jobs.get(job_slug)
        if job is None:
            return error(404, "Job not found")
        return Response(200, self._job(w, job, _maximize(request)))

    def _activities(self, request: Request) -> Response:
        """``GET /activity``: the interviews as activities, paged, sorted and filtered."""
        try:
            page = int(request.arg("page", "1"))
            limit = int(request.arg("limit", str(ACTIVITY_LIMIT)))
            kind = request.arg("activity_type_id")
            entity = request.arg("related_to_entity")
            kind, entity = (None if kind is None else int(kind),
                            None if entity is None else int(entity))
        except ValueError:
            return error(400, "Unprocessable Entity: page, limit and the ids must be integers")
        sort_by = request.arg("sort_by", "updated_at")
        order = request.arg("sort_order", "desc")
        if sort_by not in ("created_at", "updated_at") or order not in ("asc", "desc"):
            return error(400, "Invalid sort_order or sort_by value")
        if page < 1 or not 1 <= limit <= ACTIVITY_LIMIT:
            return error(400, f"Unprocessable Entity: page >= 1 and limit 1 to {ACTIVITY_LIMIT}")
        w, _ = self._world()
        rows = self._interviews(w, sort_by, order)
        related = request.arg("related_to")
        if kind not in (None, INTERVIEW_TYPE["id"]) or entity not in (None, ENTITIES["job"]):
            rows = []
        elif related is not None:
            rows = [i for i in rows if self.slug("job", i.job_id) == related]
        total, first = len(rows), (page - 1) * limit
        maximize = _maximize(request)
        data = [self._activity(w, i, maximize) for i in rows[first:first + limit]]
        last = max(1, math.ceil(total / limit))
        url = f"{request.path}?page="
        return Response(200, {
            "total": total, "per_page": limit, "current_page": page, "last_page": last,
            "next_page_url": f"{url}{page + 1}" if page < last else None,
            "prev_page_url": f"{url}{page - 1}" if page > 1 else None,
            "from": first + 1 if data else None, "to": first + len(data) if data else None,
            "data": data})

    def _interviews(self, w: World, sort_by: str, order: str) -> list[Interview]:
        """Every interview in list order, sorted once per size of the world (append-only)."""
        size, rows = self._sorted.get((sort_by, order), (-1, []))
        if size != len(w.interviews):
            rows = sorted(w.interviews, key=lambda i: (getattr(i, sort_by), i.id),
                          reverse=order == "desc")
            self._sorted[sort_by, order] = (len(rows), rows)
        return rows

    # Truth -------------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """Everything a full sync emits now, keyed as the tap keys ATZ rows.

        A history row's id is ``<candidate slug>:<job slug>:<talent stage id>:<n>``, the n-th stay
        of the application in that stage; a derived application is ``<candidate slug>:<job
        slug>`` and its stage rows reuse the history ids. A visit runs from its ``stage_date``
        to the next row's, at 00:00 UTC.
        """
        account = self.accounts[0]
        w, _ = self._world()
        history, apps, stages, jobs = set(), set(), set(), set()
        visits = []
        for a in w.applications:
            cand, job = self.slug("candidate", a.candidate_id), self.slug("job", a.job_id)
            app_id = f"{cand}:{job}"
            apps.add(app_id)
            jobs.add(job)
            stays: Counter[str] = Counter()
            for i, v in enumerate(a.visits):
                stage = str(talent_id(w.stage(v.stage_id)))
                stays[stage] += 1
                history.add(f"{app_id}:{stage}:{stays[stage]}")
                stages.add(stage)
                nxt = a.visits[i + 1] if i + 1 < len(a.visits) else None
                visits.append({"account_id": account, "application_id": app_id,
                               "stage_id": stage,
                               "entered_at": midnight(day(v.entered_at)),
                               "exited_at": midnight(day(nxt.entered_at)) if nxt else None})

        def entry(ids: set[str]) -> dict[str, Any]:
            return truth_entry([(account, i, False) for i in ids])

        slugs = {j.id: self.slug("job", j.id) for j in w.jobs}
        team = {f"{slugs[j]}:{self._owner(w, j)}:other"
                for j in {a.job_id for a in w.applications}}
        out = {"candidates": entry({self.slug("candidate", c.id) for c in w.candidates}),
               "candidate_history": entry(history), "application_stages": entry(history),
               "applications": entry(apps), "job_stages": entry(stages), "jobs": entry(jobs),
               "job_hiring_team": entry(team),
               "interviews": entry({str(i.id) for i in w.interviews})}
        out["stage_visits"] = visits
        out["hires"] = []  # hires leave no history row (module docstring): the tap sees none
        return out

    def fields(self) -> dict[str, list[list[Any]]]:
        """Jobs' status from the history rows, and the talent stages: global, in funnel order."""
        account = self.accounts[0]
        w, _ = self._world()
        met = {a.job_id for a in w.applications}
        jobs = [[account, self.slug("job", j.id), {"status_raw": JOB_STATUS[j.status][1]}]
                for j in w.jobs if j.id in met]
        stages = {talent_id(w.stage(v.stage_id)): w.stage(v.stage_id).name
                  for a in w.applications for v in a.visits}
        team = [[account, f"{self.slug('job', j)}:{self._owner(w, j)}:other",
                 {"job_id": self.slug("job", j), "user_id": str(self._owner(w, j)),
                  "role": "other", "role_raw": "owner"}] for j in sorted(met)]
        return {"jobs": jobs, "job_stages": [
            [account, str(n), {"job_id": None, "name": name, "order": n - 1}]
            for n, name in sorted(stages.items())], "job_hiring_team": team,
            "interviews": [[account, str(i.id), self._interview_fields(w, i)]
                           for i in w.interviews]}

    def _interview_fields(self, w: World, i: Interview) -> dict[str, Any]:
        """What the tap must read from one interview's activity (times to the minute)."""
        app = w.applications.get(i.application_id)
        job = self.slug("job", i.job_id)

        def minute(t: dt.datetime) -> str:
            return f"{t:%Y-%m-%dT%H:%M}:00Z"

        return {"application_id": f"{self.slug('candidate', app.candidate_id)}:{job}",
                "job_id": job, "stage_id": None, "title": i.title,
                "status": "complete" if i.status == "complete" else "scheduled",
                "start_at": minute(i.start_at), "end_at": minute(i.end_at),
                "location": i.location, "organizer_id": str(i.organizer_id),
                "interviewer_ids": [str(u) for u in i.interviewer_ids]}


def _maximize(request: Request) -> set[str]:
    """The ``maximize`` values a request asks for."""
    return {v.strip() for v in (request.arg("maximize") or "").split(",") if v.strip()}
