"""Greenhouse Harvest API v3 (``/greenhouse/v3/...``) as Greenhouse documents it.

- Auth: ``POST /greenhouse/auth/token`` with HTTP Basic ``client_id:client_secret`` and the form
  ``grant_type=client_credentials&sub=<user id>`` answers ``{access_token, token_type,
  expires_at}`` (one hour); a wrong client answers 401 ``{"error": "invalid_client"}`` (RFC 6749).
  List calls need ``Authorization: Bearer <token>`` (else 401 ``{"message": ...}``) and a token
  acting as the Site Admin user ``ADMIN_USER`` (else 403).
- Lists are bare JSON arrays ordered by id descending; ids are integers, offset per kind so that
  no two kinds share one. ``per_page`` is 1 to 500 (default 100) and only read on page 1; the
  next page is a ``Link: <url>; rel="next"`` header whose opaque ``cursor`` embeds every filter,
  and a request sending ``cursor`` with any other parameter is refused with 422.
- Filters: ``updated_at``/``created_at`` in pipe syntax (``gte|T1|lte|T2``, also ``gt``/``lt``);
  ``ids``, ``job_ids``, ``application_ids``, ``candidate_ids``, ``job_interview_stage_ids``
  with at most 50 values each.
- Rate limit: a fixed window of 30 s (times ``time_scale``); every API response carries
  ``X-RateLimit-Limit/Remaining/Reset`` (Reset as epoch seconds, with milliseconds so that tiny
  test windows work). Only enforced (429 + ``Retry-After``) when the sandbox has
  ``rate_limits``; otherwise the headers report a generous limit. Token calls are not counted.
- Deletes leave no trace: a deleted application, with its stage rows and interviews, is simply
  absent.
- Interviews carry ``job_interview_id`` (no title, stage or panel, as in v3); the name and stage
  are on ``/v3/job_interviews`` (one job interview per job stage here, named after the stage),
  the panel on ``/v3/interviewers`` (one row per interview and user, ``user_id`` as in
  ``/v3/users``). ``/v3/users`` lists the hiring-side users; ``deactivated`` marks the gone.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import operator
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import parse_qs

from tap_ats.sandbox.server import (
    Damage,
    FixedWindow,
    ProviderAPI,
    Request,
    Response,
    hires_entry,
    iso,
    keyset_page,
    truth_entry,
)
from tap_ats.sandbox.world import (
    Application,
    Candidate,
    Interview,
    Job,
    Panelist,
    Stage,
    User,
    Visit,
    World,
)

CLIENT_ID = "gh_sandbox_client_7d3a"
CLIENT_SECRET = "gh_sandbox_secret_b51e94f07c"  # noqa: S105
ADMIN_USER = "4080"
MAX_PAGE = 500
MAX_IDS = 50
TOKEN_TTL = 3600
GENEROUS_LIMIT = 100_000
OFFSET = {"job": 4_000_000, "stage": 5_000_000, "candidate": 10_000_000,
          "application": 20_000_000, "visit": 30_000_000, "interview": 40_000_000,
          "user": 1_000, "panelist": 50_000_000, "job_interview": 60_000_000}
STATUS = {"active": "in_process", "rejected": "rejected", "hired": "hired"}
OPS: dict[str, Callable[[Any, Any], bool]] = {"gte": operator.ge, "lte": operator.le,
                                              "gt": operator.gt, "lt": operator.lt}
#: ``*_ids`` filter -> (record attribute, id kind); ``ids`` uses the resource's own kind.
ID_FILTERS = {"ids": ("id", None), "job_ids": ("job_id", "job"),
              "application_ids": ("application_id", "application"),
              "candidate_ids": ("candidate_id", "candidate"),
              "job_interview_stage_ids": ("stage_id", "stage")}
CURSOR_ALONE = "When passing a cursor, do not include other query params."
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil, per list endpoint. Greenhouse
#: ids are integers, so ``bad_records`` serves an integer in a plain string field instead.
DAMAGE = {
    "applications": Damage("applications", ("stage_name",), "stage_name",
                           ("created_at", "rejected_at", "last_activity_at")),
    "application_stages": Damage("application_stages", (), None, ("created_at",)),
    "jobs": Damage("jobs", ("name", "requisition_id"), "requisition_id",
                   ("opened_at", "closed_at", "created_at")),
    "job_interview_stages": Damage("job_stages", ("name",), "name", ("created_at",)),
    "interviews": Damage("interviews", ("location",), "location",
                         ("starts_at", "ends_at", "created_at")),
    "candidates": Damage("candidates", ("first_name", "last_name", "company", "title"),
                         "title", ("created_at", "last_activity_at")),
    "users": Damage("users", ("name", "first_name"), "name", ("created_at",)),
    # Lookups that feed interviews: left whole, so every spoiled field is on the row it names.
    "job_interviews": Damage("interviews"),
    "interviewers": Damage("interviews"),
}


def gid(kind: str, n: int) -> int:
    """The Greenhouse id of world record ``n`` of ``kind``."""
    return OFFSET[kind] + n


class Invalid(ValueError):
    """A request parameter Greenhouse would refuse with 422."""


def _time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        msg = f"{value!r} is not an ISO-8601 time with a zone"
        raise Invalid(msg)
    return parsed


def _window(name: str, value: str) -> list[tuple[Callable[[Any, Any], bool], dt.datetime]]:
    """``gte|T1|lte|T2`` as (operator, time) pairs."""
    parts = value.split("|")
    if len(parts) % 2 or any(op not in OPS for op in parts[::2]):
        msg = f"{name} must look like gte|<time>|lte|<time> (operators gte, lte, gt, lt)"
        raise Invalid(msg)
    try:
        return [(OPS[op], _time(stamp)) for op, stamp in zip(parts[::2], parts[1::2],
                                                             strict=True)]
    except ValueError as exc:
        raise Invalid(f"{name}: {exc}") from None


class GreenhouseAPI(ProviderAPI):
    """The Harvest v3 wire format over one world."""

    name = "greenhouse"
    accounts: ClassVar[list[str]] = ["greenhouse"]
    #: Requests per 30 s window when the sandbox enforces rate limits.
    rate_limit: ClassVar[int] = 50
    window_seconds: ClassVar[float] = 30.0

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.enforcing = bool(sandbox.rate_limits)
        self.limiter = FixedWindow(self.rate_limit if self.enforcing else GENEROUS_LIMIT,
                                   self.window_seconds * sandbox.time_scale)
        #: Issued tokens: value -> (sub, expiry epoch).
        self.tokens: dict[str, tuple[str, float]] = {}
        #: Tests turn this off to make every bearer token refused (a revoked credential).
        self.accept_tokens = True
        self._token_lock = threading.Lock()

    def config(self, base_url: str) -> dict[str, Any]:
        """Config for tap-ats: the sandbox's client credentials, acting as its Site Admin."""
        return {"provider": "greenhouse", "api_url": f"{base_url}/greenhouse",
                "token_url": f"{base_url}/greenhouse/auth/token", "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET, "user_id": ADMIN_USER,
                "start_date": "2024-01-01T00:00:00Z"}

    def revoke_tokens(self) -> None:
        """Forget every issued token, as an expiry or rotation on Greenhouse's side would."""
        with self._token_lock:
            self.tokens.clear()

    # Rendering ---------------------------------------------------------------------------------

    @staticmethod
    def _application(w: World, a: Application) -> dict[str, Any]:
        stage = w.stage(a.current.stage_id)
        return {
            "id": gid("application", a.id), "candidate_id": gid("candidate", a.candidate_id),
            "job_id": gid("job", a.job_id), "job_post_id": None, "prospect": False,
            "status": STATUS[a.status], "stage_id": gid("stage", stage.id),
            "stage_name": stage.name, "rejected_at": iso(a.rejected_at),
            "last_activity_at": iso(a.updated_at), "source_id": None, "recruiter_id": None,
            "prospective_job_ids": [], "answers": [], "custom_fields": {},
            "created_at": iso(a.created_at), "updated_at": iso(a.updated_at),
        }

    @staticmethod
    def _visit(_w: World, v: Visit) -> dict[str, Any]:
        end = v.exited_at or dt.datetime.now(dt.UTC)
        return {
            "id": gid("visit", v.id), "application_id": gid("application", v.application_id),
            "job_interview_stage_id": gid("stage", v.stage_id), "entered_at": iso(v.entered_at),
            "exited_at": iso(v.exited_at), "current": v.exited_at is None,
            "days_in_stage": (end - v.entered_at).days,
            "created_at": iso(v.created_at), "updated_at": iso(v.updated_at),
        }

    @staticmethod
    def _job(_w: World, j: Job) -> dict[str, Any]:
        return {
            "id": gid("job", j.id), "name": j.name, "requisition_id": j.code, "notes": None,
            "confidential": False, "status": j.status, "opened_at": iso(j.opened_at),
            "closed_at": iso(j.closed_at), "is_template": False, "copied_from_id": None,
            "department_id": None, "office_ids": [], "custom_fields": {},
            "created_at": iso(j.created_at), "updated_at": iso(j.updated_at),
        }

    @staticmethod
    def _stage(_w: World, s: Stage) -> dict[str, Any]:
        return {"id": gid("stage", s.id), "job_id": gid("job", s.job_id), "name": s.name,
                "sort_order": s.order, "active": s.active, "created_at": iso(s.created_at),
                "updated_at": iso(s.updated_at)}

    @staticmethod
    def _interview(_w: World, i: Interview) -> dict[str, Any]:
        return {
            "id": gid("interview", i.id), "job_id": gid("job", i.job_id),
            "application_id": gid("application", i.application_id),
            "job_interview_id": gid("job_interview", i.stage_id),
            "starts_at": iso(i.start_at), "ends_at": iso(i.end_at), "all_day_start_on": None,
            "all_day_end_on": None, "location": i.location, "status": i.status,
            "organizer_id": gid("user", i.organizer_id), "scheduled_at": iso(i.created_at),
            "video_conferencing_url": None, "external_event_id": None,
            "created_at": iso(i.created_at), "updated_at": iso(i.updated_at),
        }

    @staticmethod
    def _job_interview(_w: World, s: Stage) -> dict[str, Any]:
        return {"id": gid("job_interview", s.id), "job_id": gid("job", s.job_id),
                "job_interview_stage_id": gid("stage", s.id), "name": f"{s.name} panel",
                "estimated_minutes": 60, "created_at": iso(s.created_at),
                "updated_at": iso(s.updated_at)}

    @staticmethod
    def _panelist(w: World, p: Panelist) -> dict[str, Any]:
        return {"id": gid("panelist", p.id), "interview_id": gid("interview", p.interview_id),
                "user_id": gid("user", p.user_id), "scorecard_id": None,
                "email": w.user(p.user_id).email, "response_status": "accepted",
                "created_at": iso(p.created_at), "updated_at": iso(p.updated_at)}

    @staticmethod
    def _user(_w: World, u: User) -> dict[str, Any]:
        return {"id": gid("user", u.id), "name": f"{u.first_name} {u.last_name}",
                "first_name": u.first_name, "last_name": u.last_name,
                "primary_email_address": u.email, "emails": [u.email],
                "deactivated": not u.active, "site_admin": u.id == 1,
                "created_at": iso(u.created_at), "updated_at": iso(u.updated_at)}

    @staticmethod
    def _candidate(_w: World, c: Candidate) -> dict[str, Any]:
        return {
            "id": gid("candidate", c.id), "first_name": c.first_name, "last_name": c.last_name,
            "preferred_name": None, "company": c.company, "title": c.title, "private": False,
            "can_email": True, "tags": list(c.tags), "linked_user_ids": [],
            "email_addresses": [{"value": c.email, "type": "personal"}],
            "phone_numbers": [{"value": c.phone, "type": "mobile"}], "addresses": [],
            "website_addresses": [], "social_media_addresses": [], "custom_fields": {},
            "last_activity_at": iso(c.updated_at), "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
        }

    def _resources(self, w: World) -> dict[str, tuple[str, Any, Any, Callable[[Any], bool]]]:
        """Per resource: id kind, table, renderer, and whether a record is live (not deleted)."""
        def live_app(app_id: int) -> bool:
            app = w.applications.get(app_id)
            return app is not None and app.deleted_at is None

        return {
            "applications": ("application", w.applications, self._application,
                             lambda r: r.deleted_at is None),
            "application_stages": ("visit", w.visits, self._visit,
                                   lambda r: live_app(r.application_id)),
            "jobs": ("job", w.jobs, self._job, lambda r: r.deleted_at is None),
            "job_interview_stages": ("stage", w.stages, self._stage, lambda _r: True),
            "interviews": ("interview", w.interviews, self._interview,
                           lambda r: r.deleted_at is None and live_app(r.application_id)),
            "candidates": ("candidate", w.candidates, self._candidate,
                           lambda r: r.deleted_at is None),
            "job_interviews": ("job_interview", w.stages, self._job_interview, lambda _r: True),
            "interviewers": ("panelist", w.panel, self._panelist, lambda _r: True),
            "users": ("user", w.people, self._user, lambda _r: True),
        }

    # Requests ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Serve the token endpoint and ``GET /greenhouse/v3/<resource>``."""
        if request.path.rstrip("/") == "/greenhouse/auth/token" and request.method == "POST":
            return self._token(request)
        allowed, remaining, reset = self.limiter.hit(self.accounts[0])
        headers = {"X-RateLimit-Limit": str(self.limiter.limit),
                   "X-RateLimit-Remaining": str(max(remaining, 0)),
                   "X-RateLimit-Reset": f"{reset:.3f}"}
        response = self._serve(request, allowed, reset)
        response.headers.update(headers)
        return response

    def _serve(self, request: Request, allowed: bool, reset: float) -> Response:
        if not allowed:
            wait = max(math.ceil(reset - time.time()), 0)
            return Response(429, {"message": "Rate limit exceeded."}, {"Retry-After": str(wait)})
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self._token_lock:
            sub, expires = self.tokens.get(token, ("", 0.0))
        if not self.accept_tokens or expires <= time.time():
            return Response(401, {"message": "Invalid or expired access token."})
        if sub != ADMIN_USER:
            return Response(403, {"message": "All list endpoints require a Site Admin user."})
        parts = request.path.strip("/").split("/")
        w = self.world(self.accounts[0])
        resources = self._resources(w)
        if parts[:2] != ["greenhouse", "v3"] or len(parts) != 3 or parts[2] not in resources:
            return Response(404, {"message": f"Route {request.path} does not exist."})
        kind, table, render, live = resources[parts[2]]
        try:
            state = self._query(request)
            size, keep = self._filters(state["query"], kind)
        except Invalid as exc:
            return Response(422, {"errors": [str(exc)]})
        records, next_id = keyset_page(table, state["before"], size,
                                       lambda r: live(r) and keep(r), descending=True)
        page = self.sandbox.paginate(request, state, None if next_id is None else {
            "before": next_id, "query": state["query"]})
        headers = {}
        if page.cursor:
            host = request.headers.get("host", "127.0.0.1")
            url = page.foreign or f"http://{host}{request.path}?cursor={page.cursor}"
            headers["Link"] = f'<{url}>; rel="next"'
        results = [] if page.empty else [render(w, r) for r in records]
        response = Response(200, results, headers, faults=page.faults)
        if results:
            self.sandbox.spoil(request, response, self.accounts[0], DAMAGE[parts[2]],
                               str(results[0]["id"]), results[0])
        return response

    @staticmethod
    def _query(request: Request) -> dict[str, Any]:
        """The page's cursor state: filters (from the cursor after page 1) and ``before``."""
        if "cursor" not in request.query:
            return {"before": None, "query": request.query}
        if len(request.query) > 1 or len(request.query["cursor"]) > 1:
            raise Invalid(CURSOR_ALONE)
        msg = "The cursor is invalid or expired."
        try:
            state = json.loads(base64.urlsafe_b64decode(request.query["cursor"][0]))
        except (ValueError, binascii.Error):
            raise Invalid(msg) from None
        if not isinstance(state, dict) or not {"query", "before"} <= state.keys():
            raise Invalid(msg)
        return state

    @staticmethod
    def _filters(query: dict[str, list[str]], kind: str) -> tuple[int, Callable[[Any], bool]]:
        """Page size and record test for one query; Invalid for what Greenhouse refuses."""
        try:
            size = int(query.get("per_page", ["100"])[-1])
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE:
            msg = f"per_page must be an integer from 1 to {MAX_PAGE}."
            raise Invalid(msg)
        tests: list[Callable[[Any], bool]] = []
        for name in ("updated_at", "created_at"):
            if name in query:
                for op, at in _window(name, query[name][-1]):
                    tests.append(lambda r, n=name, op=op, at=at: op(getattr(r, n), at))
        for name, (attr, id_kind) in ID_FILTERS.items():
            if name not in query:
                continue
            try:
                wanted = {int(v) for v in query[name][-1].split(",") if v}
            except ValueError:
                raise Invalid(f"{name} must be comma-separated integers.") from None
            if len(wanted) > MAX_IDS:
                msg = f"{name} accepts at most {MAX_IDS} values."
                raise Invalid(msg)
            tests.append(lambda r, a=attr, k=id_kind or kind, ids=wanted:
                         hasattr(r, a) and gid(k, getattr(r, a)) in ids)
        return size, lambda r: all(test(r) for test in tests)

    def _token(self, request: Request) -> Response:
        """Client credentials grant: Basic client auth, ``sub`` = the user the token acts as."""
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return Response(401, {"error": "invalid_client",
                                  "error_description": "Client authentication failed."})
        form = parse_qs(request.body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            return Response(400, {"error": "unsupported_grant_type"})
        sub = form.get("sub", [""])[-1]
        if sub and not sub.isdigit():
            return Response(400, {"error": "invalid_grant",
                                  "error_description": "sub must be a Greenhouse user id."})
        token, expires = secrets.token_urlsafe(24), time.time() + TOKEN_TTL
        with self._token_lock:
            self.tokens[token] = (sub, expires)
        return Response(200, {"access_token": token, "token_type": "Bearer",
                              "expires_at": iso(dt.datetime.fromtimestamp(expires, dt.UTC))})

    # Truth -------------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """What a full sync emits now: live records only; every visit of every live application.

        ``hires``: the hired live applications per job.
        """
        rows: dict[str, list[tuple[str, str, bool]]] = {}
        visits, hires = [], []
        for account in self.accounts:
            w = self.world(account)
            resources = self._resources(w)
            for stream, resource in (("applications", "applications"),
                                     ("application_stages", "application_stages"),
                                     ("jobs", "jobs"), ("job_stages", "job_interview_stages"),
                                     ("interviews", "interviews"), ("candidates", "candidates"),
                                     ("users", "users")):
                kind, table, _render, live = resources[resource]
                rows.setdefault(stream, []).extend(
                    (account, str(gid(kind, r.id)), False) for r in table if live(r))
            visits += [{"account_id": account,
                        "application_id": str(gid("application", v.application_id)),
                        "stage_id": str(gid("stage", v.stage_id)),
                        "entered_at": iso(v.entered_at), "exited_at": iso(v.exited_at)}
                       for v in w.visits if resources["application_stages"][3](v)]
            hires += [(account, str(gid("job", a.job_id))) for a in w.applications
                      if a.status == "hired" and resources["applications"][3](a)]
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = hires_entry(hires)
        return out

    def fields(self) -> dict[str, list[list[Any]]]:
        """The values a sync must put in the columns that come from lookups, per row."""
        out: dict[str, list[list[Any]]] = {"interviews": [], "users": []}
        for account in self.accounts:
            w = self.world(account)
            live = self._resources(w)["interviews"][3]
            out["interviews"] += [[account, str(gid("interview", i.id)), {
                "title": f"{w.stage(i.stage_id).name} panel",
                "stage_id": str(gid("stage", i.stage_id)),
                "organizer_id": str(gid("user", i.organizer_id)),
                "interviewer_ids": [str(gid("user", u)) for u in i.interviewer_ids],
            }] for i in w.interviews if live(i)]
            out["users"] += [[account, str(gid("user", u.id)), {
                "name": f"{u.first_name} {u.last_name}", "email": u.email, "active": u.active,
            }] for u in w.people]
        return out
