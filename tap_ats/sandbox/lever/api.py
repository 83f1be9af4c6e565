"""Lever's requests: basic auth, the lists with their filters and offset tokens, the deletes."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from tap_ats.sandbox.base import FixedWindow, ProviderAPI, Request, Response, keyset_page
from tap_ats.sandbox.damage import Damage
from tap_ats.sandbox.lever.render import (
    STAGE_NAMES,
    LeverRecords,
    by_application,
    confidential,
    lid,
    served_offers,
)
from tap_ats.sandbox.lever.truth import LeverTruth
from tap_ats.sandbox.world import Table, World

API_KEY = "lever_sandbox_key_3b9d1c"
#: A key without Lever's "access confidential data" permission: confidential postings and
#: opportunities are left out of its lists whatever it asks for.
PUBLIC_KEY = "lever_sandbox_public_7a2e"
MAX_PAGE = 100
#: Lever's documented steady rate, per API key per second (bursts to 20 are not emulated).
LIMIT_PER_SECOND = 10
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil, per list endpoint. Not the
#: ``updatedAt`` the tap bookmarks on, nor the ``sources`` text the sources stream is keyed by,
#: nor an opportunity's ``createdAt`` (two columns, ``created_at`` and ``applied_at``, read it).
DAMAGE = {
    "opportunities": Damage("applications", ("name", "headline"), "applications.0.posting"),
    "postings": Damage("jobs", ("text",), None, ("createdAt",)),
    "users": Damage("users", ("name",), None, ("createdAt",)),
}


class LeverAPI(LeverRecords, LeverTruth, ProviderAPI):
    """The Lever wire format over one world (one API key is one account)."""

    name = "lever"
    accounts = ["lever"]

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.limiter = FixedWindow(LIMIT_PER_SECOND, 1.0 * sandbox.time_scale)

    def config(self, base_url: str) -> dict[str, Any]:
        """Config for tap-ats, paced to the (scaled) limit of the key."""
        return {"provider": "lever", "api_url": f"{base_url}/lever/v1", "api_key": API_KEY,
                "start_date": "2024-01-01T00:00:00Z",
                "max_requests_per_minute": int(LIMIT_PER_SECOND * 60 / self.sandbox.time_scale)
                if self.sandbox.rate_limits else 100_000}

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, str]:
        """Lever's error shape: ``{"code", "message"}``."""
        names = {400: "BadRequestError", 401: "UnauthorizedError", 403: "ForbiddenError",
                 404: "ResourceNotFound", 429: "TooManyRequests"}
        return {"code": code or names.get(status, "InternalServerError"), "message": message}

    def handle(self, request: Request) -> Response:
        """Serve ``GET /lever/v1/<resource>`` and ``/opportunities/<id>/<resource>``."""
        key = _basic_user(request.headers.get("authorization", ""))
        if key not in (API_KEY, PUBLIC_KEY):
            return Response(401, self.error_body(401, "Invalid API key"))
        if self.sandbox.rate_limits:
            allowed, _, reset = self.limiter.hit(key)
            if not allowed:
                wait = max(round(reset - dt.datetime.now(dt.UTC).timestamp()), 1)
                return Response(429, self.error_body(429, "Rate limit exceeded"),
                                {"Retry-After": str(wait)})
        parts = request.path.strip("/").split("/")
        if parts[:2] != ["lever", "v1"] or not 3 <= len(parts) <= 5:
            return Response(404, self.error_body(404, "Not found"))
        account = self.accounts[0]
        w = self.world(account)
        try:
            size = int(request.arg("limit", str(MAX_PAGE)))
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE:
            return Response(400, self.error_body(400, f"limit must be 1 to {MAX_PAGE}"))
        if parts[2:] == ["opportunities", "deleted"]:
            try:
                return self._deleted(request, w, size)
            except ValueError as exc:
                return Response(400, self.error_body(400, str(exc)))
        if len(parts) == 5 and parts[2] == "opportunities":
            return self._of_opportunity(request, w, parts[3], parts[4], size)
        if len(parts) != 3:
            return Response(404, self.error_body(404, "Not found"))
        try:
            table, render, keep = self._list(request, w, parts[2], key == API_KEY)
        except KeyError:
            return Response(404, self.error_body(404, "Not found"))
        except ValueError as exc:
            return Response(400, self.error_body(400, str(exc)))
        return self._page(request, account, parts[2], table, render, keep, size)

    def _list(self, request: Request, w: World, resource: str,
              privileged: bool) -> tuple[Any, Any, Any]:
        """(records, render, filter) of one top-level list, or KeyError for an unknown one."""
        shown = request.arg("confidentiality", "non-confidential")
        if shown not in ("all", "confidential", "non-confidential"):
            msg = "confidentiality must be all, confidential or non-confidential"
            raise ValueError(msg)

        def visible(job_id: int) -> bool:
            secret = confidential(job_id)
            return (privileged or not secret) and (shown == "all" or secret == (
                shown == "confidential"))

        if resource == "opportunities":
            start, end = _ms(request, "updated_at_start"), _ms(request, "updated_at_end")
            expand = set(request.query.get("expand", []))
            if expand - {"applications", "stage", "owner", "followers", "sourcedBy", "contact"}:
                msg = "unknown expand"
                raise ValueError(msg)
            return (w.applications, lambda a: self._opportunity(w, a, expand),
                    lambda a: a.deleted_at is None and visible(a.job_id)
                    and (start is None or a.updated_at >= start)
                    and (end is None or a.updated_at <= end))
        if resource == "postings":
            return w.jobs, lambda j: self._posting(w, j), lambda j: visible(j.id)
        if resource == "users":
            everyone = request.arg("includeDeactivated", "false") == "true"
            return w.people, lambda u: self._user(w, u), lambda u: everyone or u.active
        if resource == "stages":
            return (Table(_Numbered(n) for n in range(1, len(STAGE_NAMES) + 1)),
                    lambda s: self._stage(s.id - 1), lambda s: True)
        if resource == "archive_reasons":
            return (Table([*w.rejection_reasons, _Numbered(10**6)]),
                    lambda r: self._archive_reason(None if isinstance(r, _Numbered) else r),
                    lambda r: True)
        if resource in ("sources", "tags"):
            counts: dict[str, int] = {}
            for a in w.applications:
                if a.deleted_at is None:
                    names = ([a.source] if resource == "sources"
                             else w.candidates.get(a.candidate_id).tags)
                    for name in names:
                        counts[name] = counts.get(name, 0) + 1
            rows = Table(_Numbered(n, name) for n, name in enumerate(sorted(counts), 1))
            return rows, lambda r: {"text": r.text, "count": counts[r.text]}, lambda r: True
        raise KeyError(resource)

    def _of_opportunity(self, request: Request, w: World, opportunity: str, resource: str,
                        size: int) -> Response:
        """``/opportunities/deleted`` and an opportunity's offers, interviews and feedback."""
        if resource not in ("offers", "interviews", "feedback"):
            return Response(404, self.error_body(404, "Not found"))
        app = next((a for a in [w.applications.get(_number(opportunity))] if a is not None
                    and lid("opportunity", a.id) == opportunity and a.deleted_at is None), None)
        if app is None:
            return Response(404, self.error_body(404, "Opportunity not found"))
        if resource == "offers":
            rows, render = Table(served_offers(app)), self._offer
        elif resource == "interviews":
            rows = Table(by_application(w, "interviews").get(app.id, []))
            render = lambda i: self._interview(w, i)  # noqa: E731
        else:
            rows = Table(s for s in by_application(w, "scorecards").get(app.id, [])
                         if s.deleted_at is None)
            render = self._feedback
        return self._page(request, self.accounts[0], resource, rows, render, lambda r: True,
                          size)

    def _page(self, request: Request, account: str, resource: str, table: Table, render: Any,
              keep: Any, size: int) -> Response:
        filters = {k: v for k, v in request.query.items() if k != "offset"}
        state: dict[str, Any] = {"after": None, "filters": filters}
        if token := request.arg("offset"):
            try:
                state = json.loads(base64.urlsafe_b64decode(token))
            except (ValueError, binascii.Error):
                return Response(400, self.error_body(400, "Invalid offset token"))
            if state.get("filters") != filters:
                return Response(400, self.error_body(400, "Offset token from another query"))
        records, next_id = keyset_page(table, state["after"], size, keep)
        page = self.sandbox.paginate(request, state, None if next_id is None else {
            "after": next_id, "filters": filters}, cursor_param="offset")
        data = [] if page.empty else [render(r) for r in records]
        body: dict[str, Any] = {"data": data, "hasNext": page.cursor is not None}
        if page.cursor is not None:
            body["next"] = page.foreign or page.cursor
        response = Response(200, body, faults=page.faults)
        if data and resource in DAMAGE:
            self.sandbox.spoil(request, response, account, DAMAGE[resource], data[0]["id"],
                               data[0])
        return response

    def _deleted(self, request: Request, w: World, size: int) -> Response:
        """``GET /opportunities/deleted``: ``{id, deletedAt}`` from ``deleted_at_start`` on."""
        start = _ms(request, "deleted_at_start")
        return self._page(request, self.accounts[0], "deleted", w.applications,
                          lambda a: {"id": lid("opportunity", a.id),
                                     "deletedAt": int(a.deleted_at.timestamp() * 1000)},
                          lambda a: a.deleted_at is not None and (
                              start is None or a.deleted_at >= start), size)


class _Numbered:
    """A row of a list the world has no table for (stages, sources), numbered for keyset pages."""

    def __init__(self, n: int, text: str = "") -> None:
        self.id, self.text = n, text


def _basic_user(header: str) -> str | None:
    """The user of a basic ``Authorization`` header (Lever: the API key, password empty)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, _ = base64.b64decode(value).decode().partition(":")
    except (ValueError, binascii.Error):
        return None
    return user


def _number(opportunity: str) -> int:
    """The world number inside an opportunity UUID (checked against :func:`lid` after)."""
    try:
        return int(opportunity.replace("-", ""), 16) & 0xFFFFFFFFFFFFFFFF
    except ValueError:
        return -1


def _ms(request: Request, name: str) -> dt.datetime | None:
    """A millisecond-epoch filter parameter, or ValueError naming it."""
    value = request.arg(name)
    if value is None:
        return None
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC)
    except (ValueError, OverflowError):
        msg = f"{name} must be a time in milliseconds since the epoch"
        raise ValueError(msg) from None
