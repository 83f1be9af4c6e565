"""Merge's requests: auth, account tokens, the lists with their filters, cursors and ``expand``."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from tap_ats.sandbox.base import (
    FixedWindow,
    ProviderAPI,
    Request,
    Response,
    ServedVersions,
    changed_since,
    keyset_page,
)
from tap_ats.sandbox.damage import Damage
from tap_ats.sandbox.merge.render import MODELS, RELATIONS, MergeRecords, related_id
from tap_ats.sandbox.merge.truth import MergeTruth
from tap_ats.sandbox.world import World

API_KEY = "merge_sandbox_api_key_5f1c2e"
TOKENS = {  # account token -> (linked account id, integration)
    "mtok_acme_8c1d0b7f": ("0c7d6a52-2c47-4f50-9a5e-1c3bd2a4e001", "Greenhouse"),
    "mtok_globex_e4a91f23": ("5b2f1e90-7d3c-4c11-8e6f-2f8d9c7b0002", "Lever"),
}
REVOKED_TOKEN = "mtok_revoked_0000"  # noqa: S105
MAX_PAGE = 100
LIMIT_PER_MINUTE = 100
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil, per list endpoint.
DAMAGE = {
    # Not ``source``: the sources stream is keyed by the hash of that string.
    "applications": Damage("applications", (), "remote_id",
                           ("applied_at", "rejected_at", "created_at")),
    # Where a model has remote_created_at, Merge's own created_at feeds no column: not spoiled.
    "jobs": Damage("jobs", ("name", "code"), "remote_id",
                   ("remote_created_at", "remote_updated_at")),
    "job-interview-stages": Damage("job_stages", ("name",), "remote_id", ("created_at",)),
    "interviews": Damage("interviews", ("location",), "remote_id",
                         ("start_at", "end_at", "remote_created_at")),
    "candidates": Damage("candidates", ("first_name", "last_name", "company", "title"),
                         "remote_id", ("remote_created_at", "last_interaction_at",
                                       "remote_updated_at")),
    "users": Damage("users", ("first_name", "last_name"), "remote_id", ("remote_created_at",)),
    "offers": Damage("offers", (), "remote_id", ("sent_at", "closed_at", "remote_created_at")),
    "departments": Damage("departments", ("name",), "remote_id", ("created_at",)),
    "offices": Damage("offices", ("name", "location"), "remote_id", ("created_at",)),
    "reject-reasons": Damage("rejection_reasons", ("name",), "remote_id", ("created_at",)),
    "scorecards": Damage("scorecards", (), "remote_id", ("remote_created_at", "submitted_at")),
    "eeocs": Damage("demographics", (), "remote_id", ("created_at",)),
}

class MergeAPI(MergeRecords, MergeTruth, ProviderAPI):
    """The Merge wire format over one world per linked account."""

    name = "merge"
    accounts = [account for account, _ in TOKENS.values()]

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.tokens = TOKENS
        if sandbox.accounts:
            self.tokens = {f"mtok_sandbox_{n:05d}": (f"{n:08x}-0000-4000-8000-{n:012x}", "Lever")
                           for n in range(1, sandbox.accounts + 1)}
            self.accounts = [account for account, _ in self.tokens.values()]
        self.served = ServedVersions(self.accounts)
        self.limiter = FixedWindow(LIMIT_PER_MINUTE, 60.0 * sandbox.time_scale)

    def config(self, base_url: str) -> dict[str, Any]:
        """Config for tap-ats: every linked account, paced to the (scaled) per-account limit."""
        config = {"provider": "merge", "api_url": f"{base_url}/merge/api", "api_key": API_KEY,
                  "account_tokens": list(self.tokens), "start_date": "2024-01-01T00:00:00Z"}
        config["max_requests_per_minute"] = (
            int(LIMIT_PER_MINUTE / self.sandbox.time_scale) if self.sandbox.rate_limits
            else 100_000)
        return config

    # Requests ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Serve ``GET /merge/api/ats/v1/<model>`` and ``/account-details``."""
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return Response(401, {"detail": "Invalid API key."})
        token = request.headers.get("x-account-token", "")
        if token not in self.tokens:
            return Response(401, {"detail": "Invalid or revoked account token."})
        account, integration = self.tokens[token]
        if self.sandbox.rate_limits:
            allowed, _, reset = self.limiter.hit(account)
            if not allowed:
                wait = max(round(reset - dt.datetime.now(dt.UTC).timestamp()), 1)
                return Response(429, {"detail": "Request was throttled."},
                                {"Retry-After": str(wait)})
        parts = request.path.strip("/").split("/")
        if parts[:4] != ["merge", "api", "ats", "v1"] or len(parts) != 5:
            return Response(404, {"detail": "Not found."})
        if parts[4] == "account-details":
            return Response(200, self._account_details(token, account, integration))
        w = self.world(account)
        if parts[4] not in self._tables(w):
            return Response(404, {"detail": "Not found."})
        if self._aimed_at(token) and any(
                request.path.endswith(p) for p in self.sandbox.faults.get("disabled_models", [])):
            return Response(403, {"detail": f"The {MODELS[parts[4]]} Common Model is disabled "
                                            "in this Linked Account's scopes."},
                            faults=["disabled_model"])
        return self._list(request, account, parts[4], w)

    def error_body(self, status: int, message: str, code: str | None = None) -> dict[str, str]:
        """Merge's error shape, Django REST framework's ``{"detail": ...}`` (Merge has no codes)."""
        return {"detail": message}

    def _aimed_at(self, token: str) -> bool:
        """Whether the account faults apply to ``token``: all, or the ``refuse_account`` one."""
        chosen = self.sandbox.faults.get("refuse_account")
        return not chosen or chosen == token

    def _account_details(self, token: str, account: str, integration: str) -> dict[str, Any]:
        """A token's linked account as AccountDetails; ``linked_account_status`` sets its status.

        Merge keeps serving what it synced before an account needed relinking, so the lists of
        an account in any status are served as usual: only this status tells.
        """
        status = "COMPLETE"
        if self._aimed_at(token):
            status = self.sandbox.faults.get("linked_account_status", status)
        return {"id": account, "integration": integration,
                "integration_slug": integration.lower(), "category": "ats",
                "end_user_origin_id": None, "end_user_organization_name": f"{integration} customer",
                "end_user_email_address": None, "status": status, "webhook_listener_url": None,
                "is_duplicate": None, "account_type": "PRODUCTION", "completed_at": None}

    def _list(self, request: Request, account: str, model: str, w: World) -> Response:
        table, render = self._tables(w)[model]
        try:
            size = int(request.arg("page_size", "30"))
            after = _parse_time(request.arg("modified_after"))
        except ValueError as exc:
            return Response(400, {"detail": str(exc)})
        if not 1 <= size <= MAX_PAGE:
            return Response(400, {"detail": f"page_size must be 1 to {MAX_PAGE}."})
        include_deleted = request.arg("include_deleted_data", "false") == "true"
        include_remote = request.arg("include_remote_data", "false") == "true"
        relations = set(filter(None, (request.arg("expand") or "").split(",")))
        if unknown := relations - set(RELATIONS.get(model, {})):
            return Response(400, {"detail": f"Invalid expand: {', '.join(sorted(unknown))}."})
        filters = {k: v for k, v in request.query.items() if k != "cursor"}
        state: dict[str, Any] = {"after": None, "filters": filters}
        if cursor := request.arg("cursor"):
            try:
                state = json.loads(base64.urlsafe_b64decode(cursor))
            except ValueError:
                return Response(400, {"detail": "Invalid cursor."})
            if state["filters"] != filters:
                return Response(400, {"detail": "Send the same filters on every page."})

        records, next_id = keyset_page(table, state["after"], size,
                                       changed_since(after, include_deleted))
        page = self.sandbox.paginate(request, state, None if next_id is None else {
            "after": next_id, "filters": filters})
        results = [] if page.empty else [render(w, r, account) for r in records]
        if relations and results:
            for record, rendered in zip(records, results, strict=True):
                self._expand(w, model, record, rendered, relations, account)
        if include_remote:
            for r in results:
                r["remote_data"] = [{"path": f"/{model}/{r['remote_id']}",
                                     "data": {"id": r["remote_id"]}}]
        if model == "applications":
            self.served.add(account, ((r["id"], related_id(r["current_stage"]), r["modified_at"],
                                       r["remote_was_deleted"]) for r in results))
        response = Response(200, {"next": page.foreign or page.cursor, "previous": None,
                                  "results": results}, faults=page.faults)
        if results:
            self.sandbox.spoil(request, response, account, DAMAGE[model], results[0]["id"],
                               results[0])
        return response


def _parse_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        msg = "modified_after must be an ISO 8601 date-time."
        raise ValueError(msg) from None
