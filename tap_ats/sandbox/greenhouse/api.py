"""The Greenhouse sandbox's requests: token grant, rate limit, list endpoints and filters."""

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

from tap_ats.sandbox.base import FixedWindow, ProviderAPI, Request, Response, iso, keyset_page
from tap_ats.sandbox.damage import Damage
from tap_ats.sandbox.greenhouse.render import Renderer
from tap_ats.sandbox.greenhouse.tables import (
    DEFAULT_REASONS,
    MAX_IDS,
    MAX_PAGE,
    OFFSET,
    Derived,
    gid,
)
from tap_ats.sandbox.greenhouse.truth import Truth
from tap_ats.sandbox.world import (
    Table,
)

CLIENT_ID = "gh_sandbox_client_7d3a"
CLIENT_SECRET = "gh_sandbox_secret_b51e94f07c"  # noqa: S105
ADMIN_USER = "4080"
TOKEN_TTL = 3600
GENEROUS_LIMIT = 100_000
OPS: dict[str, Callable[[Any, Any], bool]] = {"gte": operator.ge, "lte": operator.le,
                                              "gt": operator.gt, "lt": operator.lt}
ID_FILTERS = {"ids": ("id", None), "job_ids": ("job_id", "job"),
              "application_ids": ("application_id", "application"),
              "candidate_ids": ("candidate_id", "candidate"),
              "job_interview_stage_ids": ("stage_id", "stage"),
              "scorecard_ids": ("scorecard_id", "scorecard")}
CURSOR_ALONE = "When passing a cursor, do not include other query params."
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil, per list endpoint. Greenhouse
#: ids are integers, so ``bad_records`` serves an integer in a plain string field instead.
DAMAGE = {
    "applications": Damage("applications", ("stage_name",), "stage_name",
                           ("created_at", "rejected_at", "last_activity_at")),
    "rejection_details": Damage("applications"),
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
    "offers": Damage("offers", (), None, ("created_at", "resolved_at")),
    "departments": Damage("departments", ("name",), "external_id", ("created_at",)),
    "offices": Damage("offices", ("name", "location"), "external_id", ("created_at",)),
    "sources": Damage("sources", ("name",), None, ("created_at",)),
    "rejection_reasons": Damage("rejection_reasons", ("name",), None, ("created_at",)),
    "scorecards": Damage("scorecards", (), None, ("created_at", "submitted_at")),
    "custom_fields": Damage("custom_field_definitions", ("name",), None, ("created_at",)),
    # Left whole: a hiring-team row's unified id is not its own; EEOC answers are not read by
    # default; the rest only feed columns of other rows.
    "job_hiring_managers": Damage("job_hiring_team"),
    "job_owners": Damage("job_hiring_team"),
    "eeoc": Damage("demographics"),
    "scorecard_candidate_attributes": Damage("scorecards"),
    "job_candidate_attributes": Damage("scorecards"),
    "custom_field_options": Damage("custom_field_definitions"),
}



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


class GreenhouseAPI(Truth, Renderer, ProviderAPI):
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
        self._derived: dict[int, Derived] = {}
        self._derived_lock = threading.Lock()

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
        if parts[2] == "scorecard_candidate_attributes" and "scorecard_ids" in state["query"]:
            table = self._ratings_of(table, state["query"]["scorecard_ids"][-1])
        if parts[2] == "rejection_reasons" and state["query"].get(
                "include_defaults", [""])[-1] != "true":
            keep = (lambda test: lambda r: test(r) and r.name not in DEFAULT_REASONS)(keep)
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
    def _ratings_of(ratings: Table, ids: str) -> Table:
        """The ratings of the scorecards in ``ids``, found by id instead of by a scan of all.

        A rating's id is its scorecard's world id times ten plus its place, so each scorecard's
        ratings are one slice of the table; the filters then apply as to any table. (A scan per
        request made the sandbox, not the tap, the bottleneck of a large Greenhouse benchmark.)
        """
        cards = sorted({int(v) - OFFSET["scorecard"] for v in ids.split(",") if v})
        return Table(rating for n in cards for rating in
                     ratings[ratings.index_after(n * 10 - 1):ratings.index_before(n * 10 + 10)])

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

