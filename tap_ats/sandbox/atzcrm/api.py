"""The ATZ CRM sandbox's requests: auth, rate limit, candidate list, history, job, activity."""

from __future__ import annotations

import math
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from tap_ats.sandbox.atzcrm.render import INTERVIEW_TYPE, Renderer, slug
from tap_ats.sandbox.atzcrm.truth import Truth
from tap_ats.sandbox.base import FixedWindow, ProviderAPI, Request, Response
from tap_ats.sandbox.damage import Damage
from tap_ats.sandbox.world import Application, Candidate, Interview, Job, World

API_TOKEN = "atz_sandbox_token_0123456789abcdef"  # noqa: S105 - the sandbox's own dummy token
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
ACTIVITY_LIMIT = 25
ENTITIES = {"candidate": 1, "job": 2}
RATE_LIMIT = 60
#: What a candidate's id is offset by in the digits that name it under ``numeric_slugs``.
NUMBERED = 900_000
DAMAGE = {
    "candidate": Damage("candidates", ("first_name", "last_name", "current_position",
                                       "current_organization"), "phone", ("created_at",)),
    "history": Damage("candidate_history", ("job_name", "organization.name"),
                      "organization.slug", ()),
}


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


class AtzCrmAPI(Truth, Renderer, ProviderAPI):
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
        """The slug of a candidate or job, odd when the sandbox was reset with ``odd_slugs``.

        Under the ``numeric_slugs`` fault, a candidate picked by a seeded hash of its id is
        named by digits instead (served as a JSON number in the list, taken as text in paths).
        """
        rate = self.sandbox.faults.get("numeric_slugs", 0)
        if kind == "candidate" and rate and zlib.crc32(
                f"{self.sandbox.seed}:slug:{n}".encode()) / 2**32 < rate:
            return str(NUMBERED + n)
        return slug(kind, n, self.sandbox.odd_slugs)

    # Rendering ---------------------------------------------------------------------------------

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
        if cand is None and candidate_slug.isdigit():  # named under ``numeric_slugs``
            cand = w.candidates.get(int(candidate_slug) - NUMBERED)
            cand = cand if cand and self.slug("candidate", cand.id) == candidate_slug else None
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


def _maximize(request: Request) -> set[str]:
    """The ``maximize`` values a request asks for."""
    return {v.strip() for v in (request.arg("maximize") or "").split(",") if v.strip()}
