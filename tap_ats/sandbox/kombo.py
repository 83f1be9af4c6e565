"""Kombo's unified ATS API (``/kombo/v1/ats/...``) as Kombo documents it.

Bearer API key plus ``X-Integration-Id``; envelope ``{"status": "success", "data": {"next",
"results"}}``; ``cursor`` + ``page_size`` (at most 250) with the same filters repeated on every
page (a cursor replayed with other filters is refused); ``updated_after`` in
``YYYY-MM-DDTHH:mm:ss.sssZ``; deleted rows only with ``include_deleted=true``, carrying
``remote_deleted_at``. Errors use ``{"status": "error", "error": {code, title, message, log_url}}``.
``--accounts N`` serves N integrations (``personio:sandbox00001``...) instead of the two named
ones, for the sharding tests and benchmark.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from tap_ats.sandbox.server import (
    Damage,
    ProviderAPI,
    Request,
    Response,
    ServedVersions,
    hires_entry,
    iso,
    keyset_page,
    truth_entry,
)
from tap_ats.sandbox.world import Application, Candidate, Interview, Job, World

API_KEY = "ks_dev_sandbox_kombo_key"
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
KIND_PREFIX = {"job": "J", "stage": "S", "candidate": "C", "application": "A", "interview": "I"}
OUTCOME = {"active": "PENDING", "hired": "HIRED", "rejected": "DECLINED"}
JOB_STATUS = {"open": "OPEN", "closed": "CLOSED", "draft": "DRAFT"}
MAX_PAGE = 250
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
}


def kid(kind: str, n: int) -> str:
    """A 24-character Kombo-style id, distinct per kind and number."""
    value, out = n * 7919 + 104729, []
    while value:
        value, r = divmod(value, 58)
        out.append(ALPHABET[r])
    return (KIND_PREFIX[kind] + "".join(reversed(out))).rjust(24, "k")


def error(status: int, code: str | None, message: str) -> Response:
    """Kombo's error envelope."""
    return Response(status, {"status": "error", "error": {
        "code": code, "title": message, "message": message,
        "log_url": "https://app.kombo.dev/logs/sandbox"}})


class KomboAPI(ProviderAPI):
    """The Kombo wire format over one world per integration."""

    name = "kombo"
    accounts = ["personio:8d1hHv8Dqs5sjPsW", "greenhouse:BbVdwSBcXSR8TK3z"]

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        if sandbox.accounts:
            self.accounts = [f"personio:sandbox{n:05d}" for n in range(1, sandbox.accounts + 1)]
        self._known = set(self.accounts)
        self.served = ServedVersions(self.accounts)

    def config(self, base_url: str) -> dict[str, Any]:
        """Config for tap-ats: every integration, the sandbox key."""
        return {"provider": "kombo", "api_url": f"{base_url}/kombo/v1", "api_key": API_KEY,
                "integration_ids": list(self.accounts), "start_date": "2024-01-01T00:00:00Z"}

    # Rendering ---------------------------------------------------------------------------------

    def _application(self, w: World, a: Application) -> dict[str, Any]:
        cand: Candidate = w.candidates.get(a.candidate_id)
        job: Job = w.job(a.job_id)
        stage = w.stage(a.current.stage_id)
        return {
            "id": kid("application", a.id), "remote_id": str(a.id),
            "outcome": OUTCOME[a.status], "rejection_reason_name": a.rejection_reason,
            "rejected_at": iso(a.rejected_at), "current_stage_id": kid("stage", stage.id),
            "job_id": kid("job", job.id), "candidate_id": kid("candidate", cand.id),
            "screening_question_answers": [], "custom_fields": {},
            "remote_url": f"https://ats.example.com/applications/{a.id}",
            "changed_at": iso(a.updated_at), "remote_deleted_at": iso(a.deleted_at),
            "remote_created_at": iso(a.created_at), "remote_updated_at": iso(a.updated_at),
            "candidate": {"id": kid("candidate", cand.id), "remote_id": str(cand.id),
                          "first_name": cand.first_name, "last_name": cand.last_name,
                          "email_addresses": [{"email_address": cand.email, "type": "PRIVATE"}],
                          "tags": [{"id": None, "remote_id": None, "name": t} for t in cand.tags]},
            "current_stage": {"id": kid("stage", stage.id), "remote_id": str(stage.id),
                              "name": stage.name},
            "job": {"id": kid("job", job.id), "remote_id": str(job.id), "name": job.name},
        }

    @staticmethod
    def _job(_w: World, j: Job) -> dict[str, Any]:
        return {
            "id": kid("job", j.id), "remote_id": str(j.id), "name": j.name, "job_code": j.code,
            "status": JOB_STATUS[j.status], "visibility": "PUBLIC", "custom_fields": {},
            "remote_url": f"https://ats.example.com/jobs/{j.id}", "opened_at": iso(j.opened_at),
            "closed_at": iso(j.closed_at), "remote_created_at": iso(j.created_at),
            "remote_updated_at": iso(j.updated_at), "changed_at": iso(j.updated_at),
            "remote_deleted_at": iso(j.deleted_at),
            "stages": [{"id": kid("stage", s.id), "remote_id": str(s.id), "name": s.name,
                        "index": s.order, "status": "ACTIVE" if s.active else "INACTIVE"}
                       for s in j.stages],
        }

    @staticmethod
    def _interview(w: World, i: Interview) -> dict[str, Any]:
        return {
            "id": kid("interview", i.id), "remote_id": str(i.id), "title": i.title,
            "starting_at": iso(i.start_at), "ending_at": iso(i.end_at),
            "location": {"raw": i.location}, "video_conferencing_url": None,
            "application_id": kid("application", i.application_id),
            "stage_id": kid("stage", i.stage_id), "canceled": i.status == "canceled",
            "remote_created_at": iso(i.created_at), "remote_updated_at": iso(i.updated_at),
            "changed_at": iso(i.updated_at), "remote_deleted_at": iso(i.deleted_at),
            "users": [{"id": f"user{u}", "remote_id": str(u)} for u in i.interviewer_ids],
            "application": {"id": kid("application", i.application_id),
                            "remote_id": str(i.application_id), "job_id": kid("job", i.job_id)},
        }

    @staticmethod
    def _candidate(_w: World, c: Candidate) -> dict[str, Any]:
        return {
            "id": kid("candidate", c.id), "remote_id": str(c.id), "first_name": c.first_name,
            "last_name": c.last_name, "company": c.company, "title": c.title,
            "confidential": False, "source": None,
            "phone_numbers": [{"phone_number": c.phone, "type": "MOBILE"}],
            "email_addresses": [{"email_address": c.email, "type": "PRIVATE"}],
            "social_media": [], "location": None, "custom_fields": {},
            "remote_url": f"https://ats.example.com/candidates/{c.id}",
            "remote_created_at": iso(c.created_at), "remote_updated_at": iso(c.updated_at),
            "changed_at": iso(c.updated_at), "remote_deleted_at": iso(c.deleted_at),
            "tags": [{"id": None, "remote_id": None, "name": t} for t in c.tags],
        }

    def _tables(self, w: World) -> dict[str, tuple[Any, Any]]:
        return {"applications": (w.applications, self._application), "jobs": (w.jobs, self._job),
                "interviews": (w.interviews, self._interview),
                "candidates": (w.candidates, self._candidate)}

    # Requests ----------------------------------------------------------------------------------

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
            return error(404, "PLATFORM.NOT_FOUND", f"Route {request.path} does not exist.")
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

        def keep(r: Any) -> bool:
            return ((include_deleted or getattr(r, "deleted_at", None) is None)
                    and (after is None or r.updated_at >= after))

        records, next_id = keyset_page(table, state["after"], size, keep)
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
        if value is None:
            return None
        try:
            return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        except ValueError:
            msg = "updated_after must look like YYYY-MM-DDTHH:mm:ss.sssZ."
            raise ValueError(msg) from None


    def fields(self) -> dict[str, list[list[Any]]]:
        """Names from nested objects and the stages' own remote ids."""
        out: dict[str, list[list[Any]]] = {"applications": [], "interviews": [],
                                           "job_stages": []}
        for account in self.accounts:
            w = self.world(account)
            out["applications"] += [[account, kid("application", a.id), {
                "current_stage_name": w.stage(a.current.stage_id).name,
                "rejection_reason": a.rejection_reason}] for a in w.applications]
            out["interviews"] += [[account, kid("interview", i.id), {
                "title": i.title, "job_id": kid("job", i.job_id),
                "interviewer_ids": [f"user{u}" for u in i.interviewer_ids]}]
                for i in w.interviews]
            out["job_stages"] += [[account, kid("stage", s.id), {"remote_id": str(s.id)}]
                                  for s in w.stages]
        return out

    # Truth -------------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """Everything a full sync emits now; observed stages are the versions served so far.

        ``hires``: the hired live applications per job.
        """
        rows: dict[str, list[tuple[str, str, bool]]] = {
            s: [] for s in ("applications", "jobs", "job_stages", "interviews", "candidates",
                            "application_stages")}
        visits, hires = [], []
        for account in self.accounts:
            w = self.world(account)
            hires += [(account, kid("job", a.job_id)) for a in w.applications
                      if a.status == "hired" and a.deleted_at is None]
            for kind, table in (("application", w.applications), ("job", w.jobs),
                                ("interview", w.interviews), ("candidate", w.candidates)):
                rows[f"{kind}s"] += [(account, kid(kind, r.id), r.deleted_at is not None)
                                     for r in table]
            rows["job_stages"] += [(account, kid("stage", s.id), False) for s in w.stages]
            observed, account_visits = self.served.truth(account)
            rows["application_stages"] += observed
            visits += account_visits
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = hires_entry(hires)
        return out

