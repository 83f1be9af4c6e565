"""Merge's ATS API (``/merge/api/ats/v1/...``) as Merge documents it.

Bearer API key plus ``X-Account-Token`` (one linked account per token); list bodies
``{"next", "previous", "results"}``; ``cursor`` + ``page_size`` (default 30, at most 100) with the
same filters on every page (a cursor replayed with other filters is refused); ``modified_after``
keeps records whose ``modified_at`` is at or after it (Merge does not say whether it is
inclusive; inclusive loses nothing); deleted records only with ``include_deleted_data=true``,
flagged ``remote_was_deleted``; ``remote_data`` is null unless ``include_remote_data=true``;
``expand`` replaces the id of a related object by the object itself for the relations the tap
asks (applications: ``current_stage``, ``reject_reason``; interviews: ``application``), other
names are refused with 400 as Merge refuses an unknown enum value. Without it applications
carry ids only (``current_stage``, ``reject_reason``: a RejectReason id), as Merge's
Application object does. ``/users`` lists RemoteUsers (``disabled`` for the gone); past
interviews are ``COMPLETE`` or, for some, ``AWAITING_FEEDBACK``. ``GET /account-details`` names
the linked account of a token. The rate limit is per linked account per minute (Launch plan: 100)
and enforced with ``--rate-limits``: 429 with ``Retry-After``. One token of the config is revoked
(401), so that tests can make one account fail.
``--accounts N`` serves N linked accounts (tokens ``mtok_sandbox_00001``...) instead of the two
named ones, for the sharding tests and benchmark.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

from tap_ats.sandbox.server import (
    Damage,
    FixedWindow,
    ProviderAPI,
    Request,
    Response,
    ServedVersions,
    iso,
    keyset_page,
    truth_entry,
)
from tap_ats.sandbox.world import (
    REJECTION_REASONS,
    Application,
    Candidate,
    Interview,
    Job,
    Stage,
    User,
    World,
)

API_KEY = "merge_sandbox_api_key_5f1c2e"
TOKENS = {  # account token -> (linked account id, integration)
    "mtok_acme_8c1d0b7f": ("0c7d6a52-2c47-4f50-9a5e-1c3bd2a4e001", "Greenhouse"),
    "mtok_globex_e4a91f23": ("5b2f1e90-7d3c-4c11-8e6f-2f8d9c7b0002", "Lever"),
}
REVOKED_TOKEN = "mtok_revoked_0000"  # noqa: S105
KINDS = {"application": 1, "candidate": 2, "job": 3, "stage": 4, "interview": 5, "user": 6,
         "reject_reason": 7}
JOB_STATUS = {"open": "OPEN", "closed": "CLOSED", "draft": "DRAFT"}
INTERVIEW_STATUS = {"scheduled": "SCHEDULED", "complete": "COMPLETE"}
MAX_PAGE = 100
LIMIT_PER_MINUTE = 100
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil, per list endpoint.
DAMAGE = {
    "applications": Damage("applications", ("source",), "remote_id",
                           ("applied_at", "rejected_at", "created_at")),
    "jobs": Damage("jobs", ("name", "code"), "remote_id",
                   ("remote_created_at", "remote_updated_at", "created_at")),
    "job-interview-stages": Damage("job_stages", ("name",), "remote_id", ("created_at",)),
    "interviews": Damage("interviews", ("location",), "remote_id",
                         ("start_at", "end_at", "remote_created_at")),
    "candidates": Damage("candidates", ("first_name", "last_name", "company", "title"),
                         "remote_id", ("remote_created_at", "last_interaction_at",
                                       "remote_updated_at")),
    "users": Damage("users", ("first_name", "last_name"), "remote_id", ("remote_created_at",)),
}
#: The relations ``expand`` may name, per model (those the tap uses).
EXPANDABLE = {"applications": {"current_stage", "reject_reason"},
              "interviews": {"application"}}


def mid(kind: str, n: int, account: str) -> str:
    """A Merge-style UUID, distinct per account, kind and number."""
    return str(uuid.UUID(int=(int(account[:8], 16) << 96) | (KINDS[kind] << 64) | n))


class MergeAPI(ProviderAPI):
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

    # Rendering ---------------------------------------------------------------------------------

    @staticmethod
    def _common(kind: str, record: Any, account: str) -> dict[str, Any]:
        return {"id": mid(kind, record.id, account), "remote_id": str(record.id),
                "created_at": iso(record.created_at), "modified_at": iso(record.updated_at),
                "remote_was_deleted": getattr(record, "deleted_at", None) is not None,
                "field_mappings": None, "remote_data": None}

    def _application(self, w: World, a: Application, acct: str) -> dict[str, Any]:
        return {**self._common("application", a, acct),
                "candidate": mid("candidate", a.candidate_id, acct),
                "job": mid("job", a.job_id, acct), "applied_at": iso(a.created_at),
                "rejected_at": iso(a.rejected_at), "offers": [], "source": a.source,
                "credited_to": None, "screening_question_answers": [],
                "current_stage": mid("stage", a.current.stage_id, acct),
                "reject_reason": mid("reject_reason",
                                     REJECTION_REASONS.index(a.rejection_reason), acct)
                if a.rejection_reason else None}

    def _job(self, _w: World, j: Job, acct: str) -> dict[str, Any]:
        return {**self._common("job", j, acct), "name": j.name, "description": None,
                "code": j.code, "status": JOB_STATUS[j.status], "type": "POSTING",
                "job_postings": [], "job_posting_urls": [], "confidential": False,
                "departments": [], "offices": [], "hiring_managers": [], "recruiters": [],
                "remote_created_at": iso(j.created_at), "remote_updated_at": iso(j.updated_at)}

    def _stage(self, _w: World, s: Stage, acct: str) -> dict[str, Any]:
        return {**self._common("stage", s, acct), "name": s.name,
                "job": mid("job", s.job_id, acct), "stage_order": s.order}

    def _interview(self, _w: World, i: Interview, acct: str) -> dict[str, Any]:
        return {**self._common("interview", i, acct),
                "application": mid("application", i.application_id, acct),
                "job_interview_stage": mid("stage", i.stage_id, acct),
                "organizer": mid("user", i.organizer_id, acct),
                "interviewers": [mid("user", u, acct) for u in i.interviewer_ids],
                "location": i.location, "start_at": iso(i.start_at), "end_at": iso(i.end_at),
                "remote_created_at": iso(i.created_at), "remote_updated_at": iso(i.updated_at),
                "status": self._interview_status(i)}

    @staticmethod
    def _interview_status(i: Interview) -> str:
        """Merge's enum; one past interview in four still awaits feedback."""
        if i.status == "complete" and i.id % 4 == 0:
            return "AWAITING_FEEDBACK"
        return INTERVIEW_STATUS.get(i.status, i.status.upper())

    def _candidate(self, _w: World, c: Candidate, acct: str) -> dict[str, Any]:
        return {**self._common("candidate", c, acct), "first_name": c.first_name,
                "last_name": c.last_name, "company": c.company, "title": c.title,
                "remote_created_at": iso(c.created_at), "remote_updated_at": iso(c.updated_at),
                "last_interaction_at": iso(c.updated_at), "is_private": False, "can_email": True,
                "locations": [],
                "phone_numbers": [{"value": c.phone, "phone_number_type": "MOBILE"}],
                "email_addresses": [{"value": c.email, "email_address_type": "PERSONAL"}],
                "urls": [], "tags": list(c.tags), "applications": [], "attachments": []}

    def _user(self, _w: World, u: User, acct: str) -> dict[str, Any]:
        return {**self._common("user", u, acct), "first_name": u.first_name,
                "last_name": u.last_name, "email": u.email, "disabled": not u.active,
                "access_role": "ADMIN" if u.id == 1 else "TEAM_MEMBER",
                "remote_created_at": iso(u.created_at)}

    def _reject_reason(self, a: Application, acct: str) -> dict[str, Any]:
        n = REJECTION_REASONS.index(a.rejection_reason)
        return {"id": mid("reject_reason", n, acct), "remote_id": str(n),
                "name": a.rejection_reason, "remote_was_deleted": False,
                "modified_at": iso(a.created_at), "field_mappings": None, "remote_data": None}

    def _expand(self, w: World, model: str, record: Any, rendered: dict[str, Any],
                relations: set[str], acct: str) -> None:
        """Replace related ids by the related objects, as Merge's ``expand`` does."""
        if "current_stage" in relations:
            rendered["current_stage"] = self._stage(w, w.stage(record.current.stage_id), acct)
        if "reject_reason" in relations and record.rejection_reason:
            rendered["reject_reason"] = self._reject_reason(record, acct)
        if model == "interviews" and "application" in relations:
            rendered["application"] = self._application(
                w, w.applications.get(record.application_id), acct)

    def _tables(self, w: World) -> dict[str, tuple[Any, Any]]:
        return {"applications": (w.applications, self._application), "jobs": (w.jobs, self._job),
                "job-interview-stages": (w.stages, self._stage),
                "interviews": (w.interviews, self._interview),
                "candidates": (w.candidates, self._candidate), "users": (w.people, self._user)}

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
            return Response(200, {"id": account, "integration": integration,
                                  "integration_slug": integration.lower(), "category": "ats",
                                  "end_user_origin_id": None,
                                  "end_user_organization_name": f"{integration} customer",
                                  "status": "COMPLETE"})
        w = self.world(account)
        if parts[4] not in self._tables(w):
            return Response(404, {"detail": "Not found."})
        return self._list(request, account, parts[4], w)

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
        if unknown := relations - EXPANDABLE.get(model, set()):
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

        def keep(r: Any) -> bool:
            return ((include_deleted or getattr(r, "deleted_at", None) is None)
                    and (after is None or r.updated_at >= after))

        records, next_id = keyset_page(table, state["after"], size, keep)
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
            self.served.add(account, ((r["id"], _id(r["current_stage"]), r["modified_at"],
                                       r["remote_was_deleted"]) for r in results))
        response = Response(200, {"next": page.foreign or page.cursor, "previous": None,
                                  "results": results}, faults=page.faults)
        if results:
            self.sandbox.spoil(request, response, account, DAMAGE[model], results[0]["id"],
                               results[0])
        return response

    def fields(self) -> dict[str, list[list[Any]]]:
        """Names the tap must take from expanded objects, and the users."""
        out: dict[str, list[list[Any]]] = {"applications": [], "interviews": [], "users": []}
        for account in self.accounts:
            w = self.world(account)
            out["applications"] += [[account, mid("application", a.id, account), {
                "current_stage_name": w.stage(a.current.stage_id).name,
                "rejection_reason": a.rejection_reason}] for a in w.applications]
            out["interviews"] += [[account, mid("interview", i.id, account), {
                "job_id": mid("job", i.job_id, account),
                "organizer_id": mid("user", i.organizer_id, account),
                "interviewer_ids": [mid("user", u, account) for u in i.interviewer_ids]}]
                for i in w.interviews]
            out["users"] += [[account, mid("user", u.id, account), {
                "name": f"{u.first_name} {u.last_name}", "email": u.email, "active": u.active}]
                for u in w.people]
        return out

    # Truth -------------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """Everything a full sync emits now; observed stages are the versions served so far."""
        rows: dict[str, list[tuple[str, str, bool]]] = {
            s: [] for s in ("applications", "jobs", "job_stages", "interviews", "candidates",
                            "application_stages", "users")}
        visits = []
        for account in self.accounts:
            w = self.world(account)
            for stream, kind, table in (("applications", "application", w.applications),
                                        ("jobs", "job", w.jobs), ("job_stages", "stage", w.stages),
                                        ("interviews", "interview", w.interviews),
                                        ("candidates", "candidate", w.candidates),
                                        ("users", "user", w.people)):
                rows[stream] += [(account, mid(kind, r.id, account),
                                  getattr(r, "deleted_at", None) is not None) for r in table]
            observed, account_visits = self.served.truth(account)
            rows["application_stages"] += observed
            visits += account_visits
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = []  # Merge applications carry no hire flag: the tap can report none
        return out


def _id(value: Any) -> Any:
    """The id of a related object, expanded or not."""
    return value["id"] if isinstance(value, dict) else value


def _parse_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        msg = "modified_after must be an ISO 8601 date-time."
        raise ValueError(msg) from None
