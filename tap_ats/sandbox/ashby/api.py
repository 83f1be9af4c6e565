"""Ashby's requests: basic auth, POST ``/x.list`` with a JSON body, cursors and sync tokens."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from tap_ats.sandbox.ashby import render
from tap_ats.sandbox.ashby.truth import AshbyTruth
from tap_ats.sandbox.base import ProviderAPI, Request, Response, keyset_page
from tap_ats.sandbox.damage import Damage
from tap_ats.sandbox.world import Table, World, now

API_KEY = "ashby_sandbox_key_3e9d1c"
MAX_PAGE = 100
#: How long an unused sync token stays valid (Ashby documents expiry, not its length).
TOKEN_TTL = dt.timedelta(days=7)
#: The paged lists and whether each takes a ``syncToken``.
PAGED = {"application.list": True, "candidate.list": True, "job.list": True,
         "interviewSchedule.list": True, "offer.list": True, "user.list": True,
         "customField.list": True, "applicationFeedback.list": True}
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil, per list.
DAMAGE = {
    # Not ``createdAt``: it feeds two columns (created_at, applied_at); not ``updatedAt``: the
    # application's stage rows take it as their updated_at too.
    "application.list": Damage("applications", ("candidate.name",), "job.id", ("archivedAt",)),
    "candidate.list": Damage("candidates", ("name", "company", "position"), None,
                             ("createdAt",)),
    "job.list": Damage("jobs", ("title",), None, ("openedAt", "closedAt", "createdAt")),
    "interviewSchedule.list": Damage("interviews", ("interviewEvents.0.location",),
                                     "interviewStageId",
                                     ("interviewEvents.0.startTime",
                                      "interviewEvents.0.endTime")),
    "offer.list": Damage("offers", (), "applicationId", ("decidedAt",)),
    "user.list": Damage("users", ("firstName", "lastName"), None, ()),
    "customField.list": Damage("custom_field_definitions", ("title",), None, ()),
    # Not ``submittedAt``: it feeds two columns (created_at, submitted_at).
    "applicationFeedback.list": Damage("scorecards", ("submittedByUser.firstName",
                                                      "submittedByUser.lastName"),
                                       "applicationId", ()),
    # Not ``enteredStageAt``: it feeds two columns (created_at, entered_at).
    "application.listHistory": Damage("application_stages", ("title",), "stageId",
                                      ("leftStageAt",)),
}


class AshbyError(ValueError):
    """A request Ashby refuses with ``success: false`` (HTTP 200): its code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _limit(body: dict[str, Any]) -> int:
    """The page size a list body asks for: ``limit``, 1 to 100, 100 when left out."""
    limit = body.get("limit", MAX_PAGE)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise AshbyError("invalid_input", f"limit must be 1 to {MAX_PAGE}")
    return limit


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _decode(value: Any, what: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(str(value)))
    except ValueError:
        raise AshbyError("invalid_input", f"{what} is not valid") from None
    if not isinstance(state, dict):
        raise AshbyError("invalid_input", f"{what} is not valid")
    return state


class AshbyAPI(AshbyTruth, ProviderAPI):
    """The Ashby wire format over one world (one organisation, one API key)."""

    name = "ashby"
    accounts = ["ashby"]

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self._indexes: dict[tuple[int, str], tuple[int, dict[int, list[Any]]]] = {}

    def config(self, base_url: str) -> dict[str, Any]:
        """Config for tap-ats."""
        return {"provider": "ashby", "api_url": f"{base_url}/ashby", "api_key": API_KEY}

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        """Ashby's error shape: ``success: false``, ``errors`` and ``errorInfo``."""
        code = code or {401: "unauthenticated", 403: "missing_endpoint_permission",
                        404: "not_found", 429: "rate_limit_exceeded"}.get(status, "server_error")
        return {"success": False, "errors": [message],
                "errorInfo": {"code": code, "message": message}}

    def error_status(self, code: str) -> int:
        """Ashby answers request errors (an expired sync token too) with HTTP 200."""
        return 200

    def handle(self, request: Request) -> Response:
        """Serve ``POST /ashby/<endpoint>`` with a JSON body."""
        expected = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response(401, self.error_body(401, "Invalid API key"))
        if request.method != "POST":
            return Response(405, self.error_body(405, "Use POST", "method_not_allowed"))
        endpoint = request.path.strip("/").split("/", 1)[-1]
        w = self.world(self.accounts[0])
        try:
            if not request.headers.get("content-type", "").startswith("application/json"):
                raise AshbyError("invalid_input", "Content-Type must be application/json")
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                raise AshbyError("invalid_input", "the body must be JSON") from None
            if not isinstance(body, dict):
                raise AshbyError("invalid_input", "the body must be a JSON object")
            if endpoint in PAGED:
                return self._paged(request, endpoint, body, w)
            if endpoint == "application.listHistory":
                return self._history(request, body, w)
            if endpoint == "interviewStage.list":
                return self._stages(body, w)
            if endpoint in ("department.list", "location.list", "source.list",
                            "archiveReason.list"):
                return Response(200, {"success": True,
                                      "results": render.reference(w)[endpoint]})
        except AshbyError as exc:
            return Response(200, self.error_body(200, str(exc), exc.code))
        return Response(404, self.error_body(404, f"no endpoint {endpoint}"))

    def _stages(self, body: dict[str, Any], w: World) -> Response:
        """``interviewStage.list {interviewPlanId}``: the plan's stages in order, un-paged."""
        n = render.number("plan", body.get("interviewPlanId"))
        job = None if n is None else w.jobs.get(n)
        if job is None:
            raise AshbyError("invalid_input", "interviewPlanId is not a known interview plan")
        return Response(200, {"success": True,
                              "results": [render.stage(w, s.id) for s in job.stages]})

    def _paged(self, request: Request, endpoint: str, body: dict[str, Any],
               w: World) -> Response:
        """A paged list: ``limit``, ``cursor`` and, where taken, ``syncToken``.

        A pass starts at its first page; its last page carries a sync token holding that start,
        and a pass with that token lists what changed since (by the record's change time).
        ``applicationFeedback.list`` also takes ``applicationId``: that application's only.
        """
        limit = _limit(body)
        token = body.get("syncToken")
        if token is not None and not PAGED[endpoint]:
            raise AshbyError("invalid_input", f"{endpoint} takes no syncToken")
        since = None
        if token is not None:
            issued = _decode(token, "syncToken")
            if issued.get("endpoint") != endpoint or "t" not in issued:
                raise AshbyError("invalid_input", "syncToken is not valid for this endpoint")
            if now() - dt.datetime.fromtimestamp(issued["issued"] / 1000, dt.UTC) > TOKEN_TTL:
                raise AshbyError("sync_token_expired", "The sync token has expired; "
                                 "run a full sync to get a new one")
            since = dt.datetime.fromtimestamp(issued["t"] / 1000, dt.UTC)
        start = int(now().timestamp() * 1000)
        state: dict[str, Any] = {"after": None, "start": start, "token": token}
        if (cursor := body.get("cursor")) is not None:
            state = _decode(cursor, "cursor")
            if state.get("token") != token:
                raise AshbyError("invalid_input", "send the same syncToken on every page")
        table, listed, changed, rows = self._table(endpoint, w)
        only = None
        if endpoint == "applicationFeedback.list" and body.get("applicationId") is not None:
            only = render.number("application", body["applicationId"])
            if only is None:
                raise AshbyError("invalid_input", "applicationId is not a known application")

        def keep(r: Any) -> bool:
            return listed(r) and (since is None or changed(r) >= since) and (
                only is None or r.application_id == only)

        records, next_id = keyset_page(table, state["after"], limit, keep)
        shim = Request(request.method, request.path,
                       {"cursor": [cursor]} if cursor else {}, request.headers)
        page = self.sandbox.paginate(shim, state, None if next_id is None else {
            **state, "after": next_id})
        results = [] if page.empty else rows(records)
        answer: dict[str, Any] = {"success": True, "results": results,
                                  "moreDataAvailable": page.cursor is not None}
        if page.cursor is not None:
            answer["nextCursor"] = page.cursor
        elif PAGED[endpoint]:
            answer["syncToken"] = _encode({"endpoint": endpoint, "t": state["start"],
                                           "issued": int(now().timestamp() * 1000)})
        response = Response(200, answer, faults=page.faults)
        if results:
            self.sandbox.spoil(request, response, self.accounts[0], DAMAGE[endpoint],
                               results[0]["id"], results[0])
        return response

    def _history(self, request: Request, body: dict[str, Any], w: World) -> Response:
        """``application.listHistory {applicationId}``: the application's stays, paged.

        Pagination only, as Ashby documents it (no ``syncToken``): ``limit`` and the
        ``cursor`` of the last page. An application that is not there (never, or deleted)
        answers ``application_not_found``.
        """
        limit = _limit(body)
        if body.get("syncToken") is not None:
            raise AshbyError("invalid_input", "application.listHistory takes no syncToken")
        app_id = body.get("applicationId")
        if not isinstance(app_id, str):
            raise AshbyError("invalid_input", "applicationId is required")
        n = render.number("application", app_id)
        app = w.applications.get(n) if n is not None else None
        if app is None or app.deleted_at is not None:
            raise AshbyError("application_not_found", "Application not found")
        state: dict[str, Any] = {"application": app_id, "after": 0}
        if (cursor := body.get("cursor")) is not None:
            state = _decode(cursor, "cursor")
            after = state.get("after")
            if state.get("application") != app_id or isinstance(after, bool) or not isinstance(
                    after, int) or after < 0:
                raise AshbyError("invalid_input", "cursor is not valid for this application")
        entries = render.history(w, app)
        start, end = state["after"], state["after"] + limit
        shim = Request(request.method, request.path,
                       {"cursor": [cursor]} if cursor else {}, request.headers)
        page = self.sandbox.paginate(shim, state, {**state, "after": end}
                                     if end < len(entries) else None)
        results = [] if page.empty else entries[start:end]
        answer: dict[str, Any] = {"success": True, "results": results,
                                  "moreDataAvailable": page.cursor is not None}
        if page.cursor is not None:
            answer["nextCursor"] = page.cursor
        response = Response(200, answer, faults=page.faults)
        if results:
            self.sandbox.spoil(request, response, self.accounts[0],
                               DAMAGE["application.listHistory"], results[0]["id"], results[0])
        return response

    def _table(self, endpoint: str, w: World) -> tuple[
            Table, Callable[[Any], bool], Callable[[Any], dt.datetime],
            Callable[[list[Any]], list[dict]]]:
        """(table in id order, whether a record is listed, its change time, its renderer).

        A deleted application is gone from Ashby with its interviews, offer and feedback: not
        listed.
        An application's offer is listed in the application's place (by its id).
        """
        def live(app_id: int) -> bool:
            app = w.applications.get(app_id)
            return app is not None and app.deleted_at is None

        match endpoint:
            case "application.list":
                return (w.applications, lambda a: a.deleted_at is None, lambda a: a.updated_at,
                        lambda rs: [render.application(w, a) for a in rs])
            case "candidate.list":
                apps = self._index(w, "applications", "candidate_id")
                return (w.candidates, lambda _: True, lambda c: c.updated_at,
                        lambda rs: [render.candidate(w, c, [a.id for a in apps.get(c.id, [])
                                                            if a.deleted_at is None])
                                    for c in rs])
            case "job.list":
                teams = self._index(w, "hiring_team", "job_id")
                return (w.jobs, lambda _: True, lambda j: j.updated_at,
                        lambda rs: [render.job(w, j, teams.get(j.id, [])) for j in rs])
            case "interviewSchedule.list":
                return (w.interviews, lambda i: live(i.application_id), lambda i: i.updated_at,
                        lambda rs: [render.schedule(w, i) for i in rs])
            case "offer.list":
                return (w.applications, lambda a: a.deleted_at is None and bool(a.offers),
                        lambda a: max(v.updated_at for v in a.offers),
                        lambda rs: [render.offer(w, a.offers) for a in rs])
            case "user.list":
                return (w.people, lambda _: True, lambda u: u.updated_at,
                        lambda rs: [render.user(u) for u in rs])
            case "applicationFeedback.list":
                return (w.scorecards,
                        lambda s: s.deleted_at is None and live(s.application_id),
                        lambda s: s.updated_at, lambda rs: [render.feedback(w, s) for s in rs])
        return (w.custom_field_definitions, lambda _: True, lambda d: d.updated_at,
                lambda rs: [render.definition(d) for d in rs])

    def _index(self, w: World, table: str, key: str) -> dict[int, list[Any]]:
        """Records of ``table`` by ``key``, rebuilt only when the table grew (tables only grow)."""
        rows = getattr(w, table)
        cached = self._indexes.get((id(w), table))
        if cached is None or cached[0] != len(rows):
            index: dict[int, list[Any]] = {}
            for r in rows:
                index.setdefault(getattr(r, key), []).append(r)
            cached = self._indexes[id(w), table] = (len(rows), index)
        return cached[1]
