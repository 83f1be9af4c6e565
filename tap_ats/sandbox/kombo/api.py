"""Kombo's requests: the API key and integration id, the lists with their filters and cursors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from tap_ats.sandbox.base import (
    ProviderAPI,
    Request,
    Response,
    ServedVersions,
    changed_since,
    keyset_page,
)
from tap_ats.sandbox.damage import Damage
from tap_ats.sandbox.kombo.render import KomboRecords
from tap_ats.sandbox.kombo.truth import KomboTruth
from tap_ats.sandbox.world import World

API_KEY = "ks_dev_sandbox_kombo_key"
MAX_PAGE = 250
#: The code of an injected error of each status (faults that name no code).
STATUS_CODE = {429: "PLATFORM.RATE_LIMIT_EXCEEDED", 503: "REMOTE.SERVICE_UNAVAILABLE",
               403: "INTEGRATION.PERMISSION_MISSING", 404: "INTEGRATION.MODEL_NOT_AVAILABLE"}
#: The status of an injected error of each code (the ``error_code`` fault without a status).
#: Kombo says to branch on the code, not the status; these are the sandbox's choices, except
#: the 409 of the setup codes, which Kombo documents.
CODE_STATUS = {"PLATFORM.RATE_LIMIT_EXCEEDED": 429, "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED": 429,
               "REMOTE.RATE_LIMIT_EXCEEDED": 429, "REMOTE.SERVICE_UNAVAILABLE": 503,
               "PLATFORM.TASK_TIMED_OUT": 504, "INTEGRATION.SETUP_SYNC_PENDING": 409,
               "INTEGRATION.SETUP_INCOMPLETE": 409, "INTEGRATION.QA_FAILED": 409,
               "INTEGRATION.PERMISSION_MISSING": 403, "INTEGRATION.MODEL_DISABLED": 403,
               "INTEGRATION.MODEL_NOT_AVAILABLE": 501, "INTEGRATION.INACTIVE": 403,
               "INTEGRATION.AUTHENTICATION_INVALID": 403, "PLATFORM.INTEGRATION_NOT_FOUND": 404,
               "PLATFORM.AUTHENTICATION_INVALID": 401}
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil, per list endpoint.
DAMAGE = {
    "applications": Damage("applications", ("current_stage.name", "candidate.first_name"),
                           "remote_id", ("remote_created_at", "rejected_at", "remote_updated_at")),
    "jobs": Damage("jobs", ("name", "stages.0.name"), "remote_id",
                   ("opened_at", "closed_at", "remote_created_at")),
    "interviews": Damage("interviews", ("title", "location.raw"), "remote_id",
                         ("starting_at", "ending_at", "remote_created_at")),
    "candidates": Damage("candidates", ("first_name", "last_name", "company", "title"),
                         "remote_id", ("remote_created_at", "remote_updated_at")),
    "users": Damage("users", ("first_name", "last_name"), "remote_id"),
    "offers": Damage("offers", ("application.job.name",), "remote_id",
                     ("remote_created_at", "remote_updated_at")),
    "rejection-reasons": Damage("rejection_reasons", ("name",), "remote_id"),
    "scorecards": Damage("scorecards", ("author.first_name",), "remote_id",
                         ("remote_updated_at",)),
}


def error(status: int, code: str | None, message: str) -> Response:
    """Kombo's error envelope."""
    return Response(status, {"status": "error", "error": {
        "code": code, "title": message, "message": message,
        "log_url": "https://app.kombo.dev/logs/sandbox"}})


class KomboAPI(KomboRecords, KomboTruth, ProviderAPI):
    """The Kombo wire format over one world per integration."""

    name = "kombo"
    accounts = ["personio:8d1hHv8Dqs5sjPsW", "greenhouse:BbVdwSBcXSR8TK3z"]

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        if sandbox.accounts:
            self.accounts = [f"personio:sandbox{n:05d}" for n in range(1, sandbox.accounts + 1)]
        self._known = set(self.accounts)
        self.served = ServedVersions(self.accounts)
        #: Per world and table: (the world, the table's length, its rows by what they belong to).
        self._groups: dict[tuple[int, str], tuple[World, int, dict[int, list[Any]]]] = {}

    def config(self, base_url: str) -> dict[str, Any]:
        """Config for tap-ats: every integration, the sandbox key."""
        return {"provider": "kombo", "api_url": f"{base_url}/kombo/v1", "api_key": API_KEY,
                "integration_ids": list(self.accounts), "start_date": "2024-01-01T00:00:00Z"}

    # Requests ----------------------------------------------------------------------------------

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        """Kombo's error envelope; without a code, the one Kombo answers ``status`` with."""
        return error(status, code or STATUS_CODE.get(status, "PLATFORM.UNKNOWN_ERROR"),
                     message).body

    def error_status(self, code: str) -> int:
        """The status of ``code`` (see ``CODE_STATUS``); 400 for the rest."""
        return CODE_STATUS.get(code, 400)

    def handle(self, request: Request) -> Response:
        """Serve ``GET /kombo/v1/ats/<entity>``."""
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return error(401, "PLATFORM.AUTHENTICATION_INVALID",
                         "The API key is missing or invalid.")
        account = request.headers.get("x-integration-id")
        if account not in self._known:
            return error(404, "PLATFORM.INTEGRATION_NOT_FOUND",
                         "No integration with the given X-Integration-Id exists.")
        parts = request.path.strip("/").split("/")
        w = self.world(account)
        if parts[:3] != ["kombo", "v1", "ats"] or len(parts) != 4 or parts[3] not in self._tables(
                w):
            return error(404, None, f"Route {request.path} does not exist.")
        table, render = self._tables(w)[parts[3]]
        try:
            size = int(request.arg("page_size", "100"))
            after = self._parse_time(request.arg("updated_after"))
        except ValueError as exc:
            return error(400, "PLATFORM.INPUT_INVALID", str(exc))
        if not 1 <= size <= MAX_PAGE:
            return error(400, "PLATFORM.INPUT_INVALID", f"page_size must be 1 to {MAX_PAGE}.")
        include_deleted = request.arg("include_deleted", "false") == "true"
        filters = {k: v for k, v in request.query.items() if k not in ("cursor",)}
        state: dict[str, Any] = {"after": None, "filters": filters}
        if cursor := request.arg("cursor"):
            try:
                state = json.loads(base64.urlsafe_b64decode(cursor))
            except ValueError:
                return error(400, "PLATFORM.INPUT_INVALID", "The cursor is invalid.")
            if state["filters"] != filters:
                return error(400, "PLATFORM.INPUT_INVALID",
                             "Send the same filters on every page of a cursor.")

        records, next_id = keyset_page(table, state["after"], size,
                                       changed_since(after, include_deleted))
        page = self.sandbox.paginate(request, state, None if next_id is None else {
            "after": next_id, "filters": filters})
        results = [] if page.empty else [render(w, r) for r in records]
        if parts[3] == "applications" and not request.query.get("ids"):
            self.served.add(account, ((r["id"], r["current_stage_id"], r["changed_at"],
                                       r["remote_deleted_at"] is not None) for r in results))
        response = Response(200, {"status": "success", "data": {
            "next": page.foreign or page.cursor, "results": results}}, faults=page.faults)
        if results:
            self.sandbox.spoil(request, response, account, DAMAGE[parts[3]], results[0]["id"],
                               results[0])
        return response

    @staticmethod
    def _parse_time(value: str | None) -> dt.datetime | None:
        """A UTC time as documented (``YYYY-MM-DDTHH:mm:ss.sssZ``) or as Kombo's SDK sends it.

        The SDK sends any fraction of a second, or none.
        """
        if value is None:
            return None
        for shape in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
            try:
                return dt.datetime.strptime(value, shape).replace(tzinfo=dt.UTC)
            except ValueError:
                pass
        msg = "updated_after must look like YYYY-MM-DDTHH:mm:ss.sssZ."
        raise ValueError(msg)
