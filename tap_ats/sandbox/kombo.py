"""Kombo's unified ATS API (``/kombo/v1/ats/...``) as Kombo documents it.

Bearer API key plus ``X-Integration-Id``; envelope ``{"status": "success", "data": {"next",
"results"}}``; ``cursor`` + ``page_size`` (at most 250) with the same filters repeated on every
page (a cursor replayed with other filters is refused); ``updated_after`` in
``YYYY-MM-DDTHH:mm:ss.sssZ`` (or as Kombo's SDK sends it, any fraction of a second); deleted
rows only with ``include_deleted=true``, carrying ``remote_deleted_at``. Records have every key
Kombo's own models (the ``kombo`` SDK) require and none they lack: an application embeds its
candidate, current stage (``index``, ``status``), job, ``interviews`` and ``offers``; an
interview's ``application`` its outcome, candidate and job; a candidate its ``applications``.
Errors, injected ones included, use Kombo's ``KomboAtsError`` envelope, ``{"status": "error",
"error": {code, title, message, log_url}}``, with one of its codes (``STATUS_CODE``); the
``error_code`` fault answers any code, at the status ``CODE_STATUS`` gives it.
``--accounts N`` serves N integrations (``personio:sandbox00001``...) instead of the two named
ones, for the sharding tests and benchmark.

Beyond the core endpoints it serves ``users``, ``offers``, ``rejection-reasons`` and
``scorecards`` the same way, and renders what Kombo carries on its objects: a job's one
``department`` string, one ``location`` (its first office) and ``hiring_team`` with
``job_roles``; the candidate's ``source`` (also on the application's embedded candidate);
``custom_fields``. EEO answers are not rendered: Kombo documents no way to read them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from typing import Any

from tap_ats.derived import name_id
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
from tap_ats.sandbox.world import (
    Application,
    Candidate,
    HiringTeamMember,
    Interview,
    Job,
    Offer,
    RejectionReason,
    Scorecard,
    Stage,
    User,
    World,
)

API_KEY = "ks_dev_sandbox_kombo_key"
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
KIND_PREFIX = {"job": "J", "stage": "S", "candidate": "C", "application": "A", "interview": "I",
               "user": "U", "offer": "O", "rejection_reason": "R", "scorecard": "E", "tag": "T"}
OFFER_STATUS = {"draft": "DRAFT", "sent": "SENT", "accepted": "ACCEPTED", "declined": "DECLINED",
                "deprecated": "ABANDONED"}
#: World roles and recommendations as a Greenhouse-backed integration labels them.
ROLE_LABEL = {"hiring_manager": "Hiring Manager", "recruiter": "Recruiter",
              "coordinator": "Coordinator", "sourcer": "Sourcer"}
ANSWER_LABEL = {"strong_yes": "Strong Yes", "yes": "Yes", "mixed": "Mixed", "no": "No",
                "strong_no": "Definitely Not", "no_decision": "No Decision"}
RECOMMENDATIONS = ["strong_yes", "yes", "no", "strong_no", "no_decision"]
RATINGS = ["strong_yes", "yes", "mixed", "no", "strong_no"]
OUTCOME = {"active": "PENDING", "hired": "HIRED", "rejected": "DECLINED"}
JOB_STATUS = {"open": "OPEN", "closed": "CLOSED", "draft": "DRAFT"}
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
#: The world tables rendered inside another record, and the attribute naming that record.
GROUPED_BY = {"hiring_team": "job_id", "interviews": "application_id"}
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


def kid(kind: str, n: int) -> str:
    """A 24-character Kombo-style id, distinct per kind and number."""
    value, out = n * 7919 + 104729, []
    while value:
        value, r = divmod(value, 58)
        out.append(ALPHABET[r])
    return (KIND_PREFIX[kind] + "".join(reversed(out))).rjust(24, "k")


def source_of(w: World, c: Candidate) -> str | None:
    """The candidate's source: that of its application (the world makes one per candidate)."""
    app: Application | None = w.applications.get(c.id)
    return app.source if app is not None and app.candidate_id == c.id else None


def applications_of(w: World, c: Candidate) -> list[Application]:
    """The candidate's live applications (the world makes one per candidate, same number)."""
    app: Application | None = w.applications.get(c.id)
    return [app] if app is not None and app.candidate_id == c.id and not app.deleted_at else []


def candidate_url(c: Candidate) -> str:
    """The candidate's page in the ATS behind the integration."""
    return f"https://ats.example.com/candidates/{c.id}"


def application_url(a: Application) -> str:
    """The application's page in the ATS behind the integration."""
    return f"https://ats.example.com/applications/{a.id}"


def tags(c: Candidate) -> list[dict[str, Any]]:
    """The candidate's tags: Kombo ids every tag object carries, a stable one per name."""
    return [{"id": kid("tag", zlib.crc32(t.encode())), "remote_id": None, "name": t}
            for t in c.tags]


def stage_status(s: Stage) -> str:
    """Kombo's word for whether a stage is in the job's workflow."""
    return "ACTIVE" if s.active else "INACTIVE"


def office_label(w: World, j: Job) -> tuple[str, str | None]:
    """The name and location text the tap derives from a job's location (its first office)."""
    office = w.offices.get(j.office_ids[0])
    return office.name, office.location


def team_id(m: HiringTeamMember) -> str:
    """The unified id of a hiring team row."""
    return f"{kid('job', m.job_id)}:{kid('user', m.user_id)}:{m.role}"


def start_of(o: Offer) -> dt.datetime:
    """The offer's start date as Kombo serves a date: midnight UTC."""
    return dt.datetime.combine(o.starts_at, dt.time(), tzinfo=dt.UTC)


def select(remote_id: str | None, label: str, options: list[str], answer: str) -> dict[str, Any]:
    """A single-select scorecard response with the world's answer picked."""
    return {"remote_id": remote_id, "label": label, "description": None, "required": True,
            "type": "SINGLE_SELECT",
            "options": [{"remote_id": o, "label": ANSWER_LABEL[o]} for o in options],
            "answer": {"remote_id": answer, "label": ANSWER_LABEL[answer]}}


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
        #: Per world and table: (the world, the table's length, its rows by what they belong to).
        self._groups: dict[tuple[int, str], tuple[World, int, dict[int, list[Any]]]] = {}

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
            "screening_question_answers": [], "custom_fields": a.custom_fields,
            "remote_url": application_url(a),
            "changed_at": iso(a.updated_at), "remote_deleted_at": iso(a.deleted_at),
            "remote_created_at": iso(a.created_at), "remote_updated_at": iso(a.updated_at),
            "candidate": {"id": kid("candidate", cand.id), "remote_id": str(cand.id),
                          "first_name": cand.first_name, "last_name": cand.last_name,
                          "email_addresses": [{"email_address": cand.email, "type": "PRIVATE"}],
                          "source": a.source, "remote_url": candidate_url(cand),
                          "tags": tags(cand)},
            "current_stage": {"id": kid("stage", stage.id), "remote_id": str(stage.id),
                              "name": stage.name, "status": stage_status(stage),
                              "custom_fields": {}, "index": stage.order},
            "job": {"id": kid("job", job.id), "remote_id": str(job.id), "name": job.name},
            "interviews": [{
                "id": kid("interview", i.id), "remote_id": str(i.id), "title": i.title,
                "starting_at": iso(i.start_at), "ending_at": iso(i.end_at),
                "canceled": i.status == "canceled", "location": {"raw": i.location}}
                for i in self._grouped(w, "interviews").get(a.id, [])],
            "offers": [{"id": kid("offer", o.id), "remote_id": str(o.id),
                        "status": OFFER_STATUS[o.status]} for o in a.offers if not o.deleted_at],
        }

    def _job(self, w: World, j: Job) -> dict[str, Any]:
        office = w.offices.get(j.office_ids[0]) if j.office_ids else None
        return {
            "id": kid("job", j.id), "remote_id": str(j.id), "name": j.name, "job_code": j.code,
            "description": f"<p>{j.name}</p>", "confidential": False, "weekly_hours": 40.0,
            "category": None, "post_url": None, "experience_level": None,
            "salary_amount": None, "salary_amount_from": None, "salary_amount_to": None,
            "salary_currency": None, "contact_id": None,
            "status": JOB_STATUS[j.status], "visibility": "PUBLIC",
            "custom_fields": j.custom_fields, "screening_questions": [], "job_postings": [],
            "department": w.departments.get(j.department_id).name if j.department_id else None,
            "location": None if office is None else {
                "city": None if office.name == office.location else office.name,
                "country": None, "state": None, "street_1": None, "street_2": None,
                "zip_code": None, "raw": office.location},
            "hiring_team": self._team(w, j),
            "remote_url": f"https://ats.example.com/jobs/{j.id}", "opened_at": iso(j.opened_at),
            "closed_at": iso(j.closed_at), "remote_created_at": iso(j.created_at),
            "remote_updated_at": iso(j.updated_at), "changed_at": iso(j.updated_at),
            "remote_deleted_at": iso(j.deleted_at),
            "stages": [{"id": kid("stage", s.id), "remote_id": str(s.id), "name": s.name,
                        "index": s.order, "status": stage_status(s), "custom_fields": {}}
                       for s in j.stages],
        }

    @staticmethod
    def _interview(w: World, i: Interview) -> dict[str, Any]:
        a: Application = w.applications.get(i.application_id)
        cand: Candidate = w.candidates.get(a.candidate_id)
        job: Job = w.job(i.job_id)
        return {
            "id": kid("interview", i.id), "remote_id": str(i.id), "title": i.title,
            "starting_at": iso(i.start_at), "ending_at": iso(i.end_at),
            "location": {"raw": i.location}, "video_conferencing_url": None,
            "application_id": kid("application", i.application_id),
            "stage_id": kid("stage", i.stage_id), "canceled": i.status == "canceled",
            "remote_created_at": iso(i.created_at), "remote_updated_at": iso(i.updated_at),
            "changed_at": iso(i.updated_at), "remote_deleted_at": iso(i.deleted_at),
            "users": [{"id": kid("user", u.id), "remote_id": str(u.id),
                       "first_name": u.first_name, "last_name": u.last_name, "email": u.email}
                      for u in map(w.user, i.interviewer_ids)],
            "application": {
                "id": kid("application", a.id), "remote_id": str(a.id),
                "outcome": OUTCOME[a.status], "rejection_reason_name": a.rejection_reason,
                "candidate": {"id": kid("candidate", cand.id), "remote_id": str(cand.id),
                              "first_name": cand.first_name, "last_name": cand.last_name,
                              "email_addresses": [{"email_address": cand.email,
                                                   "type": "PRIVATE"}]},
                "job": {"id": kid("job", job.id), "remote_id": str(job.id), "name": job.name}},
        }

    @staticmethod
    def _candidate(w: World, c: Candidate) -> dict[str, Any]:
        return {
            "id": kid("candidate", c.id), "remote_id": str(c.id), "first_name": c.first_name,
            "last_name": c.last_name, "company": c.company, "title": c.title,
            "confidential": False, "source": source_of(w, c),
            "phone_numbers": [{"phone_number": c.phone, "type": "MOBILE"}],
            "email_addresses": [{"email_address": c.email, "type": "PRIVATE"}],
            "social_media": [], "location": None, "custom_fields": c.custom_fields,
            "remote_url": candidate_url(c),
            "remote_created_at": iso(c.created_at), "remote_updated_at": iso(c.updated_at),
            "changed_at": iso(c.updated_at), "remote_deleted_at": iso(c.deleted_at),
            "applications": [{
                "id": kid("application", a.id), "remote_id": str(a.id),
                "outcome": OUTCOME[a.status], "rejection_reason_name": a.rejection_reason,
                "rejected_at": iso(a.rejected_at), "remote_url": application_url(a),
                "changed_at": iso(a.updated_at), "remote_created_at": iso(a.created_at),
                "remote_updated_at": iso(a.updated_at),
                "current_stage": {"id": kid("stage", stage.id), "remote_id": str(stage.id),
                                  "name": stage.name, "index": stage.order},
                "job": {"id": kid("job", a.job_id), "remote_id": str(a.job_id),
                        "name": w.job(a.job_id).name}}
                for a in applications_of(w, c) for stage in [w.stage(a.current.stage_id)]],
            "tags": tags(c),
        }

    def _grouped(self, w: World, table: str) -> dict[int, list[Any]]:
        """Hiring team members by job or interviews by application, regrouped as rows are added.

        Rows change in place; only new rows (a longer table) call for grouping again.
        """
        rows = getattr(w, table)
        key = (id(w), table)
        if key not in self._groups or self._groups[key][1] != len(rows):
            groups: dict[int, list[Any]] = {}
            owner = GROUPED_BY[table]
            for row in rows:
                groups.setdefault(getattr(row, owner), []).append(row)
            self._groups[key] = (w, len(rows), groups)
        return self._groups[key][2]

    def _team(self, w: World, j: Job) -> list[dict[str, Any]]:
        """The job's hiring team, one entry per user with every role they hold."""
        members: dict[int, list[str]] = {}
        m: HiringTeamMember
        for m in self._grouped(w, "hiring_team").get(j.id, []):
            members.setdefault(m.user_id, []).append(m.role)
        out = []
        for user_id, roles in members.items():
            u: User = w.user(user_id)
            out.append({
                "id": kid("user", u.id), "remote_id": str(u.id), "first_name": u.first_name,
                "last_name": u.last_name, "email": u.email,
                "hiring_team_roles": [r.upper() for r in roles],
                "job_roles": [{"remote_id": r, "remote_label": ROLE_LABEL[r],
                               "unified_type": r.upper(), "scope": "JOB"} for r in roles]})
        return out

    @staticmethod
    def _user(_w: World, u: User) -> dict[str, Any]:
        return {"id": kid("user", u.id), "remote_id": str(u.id), "first_name": u.first_name,
                "last_name": u.last_name, "email": u.email,
                "status": "ACTIVE" if u.active else "INACTIVE", "changed_at": iso(u.updated_at),
                "remote_deleted_at": None, "system_roles": []}

    @staticmethod
    def _offer(w: World, o: Offer) -> dict[str, Any]:
        cand: Candidate = w.candidates.get(o.candidate_id)
        job: Job = w.job(o.job_id)
        return {
            "id": kid("offer", o.id), "remote_id": str(o.id), "status": OFFER_STATUS[o.status],
            "employment_start_date": iso(start_of(o)),
            "application_id": kid("application", o.application_id),
            "custom_fields": o.custom_fields, "changed_at": iso(o.updated_at),
            "remote_deleted_at": iso(o.deleted_at), "remote_created_at": iso(o.created_at),
            "remote_updated_at": iso(o.updated_at),
            "application": {
                "candidate": {"id": kid("candidate", cand.id), "remote_id": str(cand.id),
                              "first_name": cand.first_name, "last_name": cand.last_name,
                              "email_addresses": [{"email_address": cand.email,
                                                   "type": "PRIVATE"}]},
                "job": {"id": kid("job", job.id), "remote_id": str(job.id), "name": job.name}},
        }

    @staticmethod
    def _reason(_w: World, r: RejectionReason) -> dict[str, Any]:
        return {"id": kid("rejection_reason", r.id), "remote_id": str(r.id), "name": r.name,
                "changed_at": iso(r.updated_at), "remote_deleted_at": None}

    @staticmethod
    def _scorecard(w: World, sc: Scorecard) -> dict[str, Any]:
        u: User = w.user(sc.interviewer_id)
        responses: list[dict[str, Any]] = [select(None, "Overall recommendation",
                                                  RECOMMENDATIONS, sc.overall_recommendation)]
        responses += [select(f"attr-{name.lower().replace(' ', '-')}", name, RATINGS, r)
                      for name, r in sc.ratings]
        if sc.notes:
            responses.append({"remote_id": None, "label": "Summary", "description": None,
                              "required": False, "type": "TEXT", "answer": sc.notes})
        return {
            "id": kid("scorecard", sc.id), "remote_id": str(sc.id),
            "candidate_id": kid("candidate", sc.candidate_id),
            "application_id": kid("application", sc.application_id),
            "interview_id": kid("interview", sc.interview_id),
            "author_id": kid("user", u.id), "responses": responses,
            "remote_created_at": iso(sc.submitted_at), "remote_updated_at": iso(sc.updated_at),
            "changed_at": iso(sc.updated_at), "remote_deleted_at": iso(sc.deleted_at),
            "author": {"id": kid("user", u.id), "remote_id": str(u.id),
                       "first_name": u.first_name, "last_name": u.last_name, "email": u.email},
        }

    def _tables(self, w: World) -> dict[str, tuple[Any, Any]]:
        return {"applications": (w.applications, self._application), "jobs": (w.jobs, self._job),
                "interviews": (w.interviews, self._interview),
                "candidates": (w.candidates, self._candidate), "users": (w.people, self._user),
                "offers": (w.offers, self._offer),
                "rejection-reasons": (w.rejection_reasons, self._reason),
                "scorecards": (w.scorecards, self._scorecard)}

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


    def fields(self) -> dict[str, list[list[Any]]]:
        """Names from nested objects, the stages' own remote ids, and the analytics entities.

        Scorecard ``notes`` are null here: a default run leaves them out.
        """
        out: dict[str, list[list[Any]]] = {s: [] for s in (
            "applications", "interviews", "job_stages", "jobs", "candidates", "users", "offers",
            "rejection_reasons", "scorecards", "job_hiring_team")}
        for account in self.accounts:
            w = self.world(account)
            out["applications"] += [[account, kid("application", a.id), {
                "current_stage_name": w.stage(a.current.stage_id).name,
                "rejection_reason": a.rejection_reason, "source": a.source,
                "source_id": name_id(a.source), "custom_fields": a.custom_fields,
                "rejection_reason_id": kid("rejection_reason", a.rejection_reason_id)
                if a.rejection_reason_id else None}] for a in w.applications]
            out["interviews"] += [[account, kid("interview", i.id), {
                "title": i.title, "job_id": kid("job", i.job_id),
                "interviewer_ids": [kid("user", u) for u in i.interviewer_ids]}]
                for i in w.interviews]
            out["job_stages"] += [[account, kid("stage", s.id), {"remote_id": str(s.id)}]
                                  for s in w.stages]
            out["jobs"] += [[account, kid("job", j.id), {
                "department_ids": [name_id(w.departments.get(j.department_id).name)],
                "office_ids": [name_id(office_label(w, j)[0])],
                "custom_fields": j.custom_fields}] for j in w.jobs]
            out["candidates"] += [[account, kid("candidate", c.id), {
                "custom_fields": c.custom_fields}] for c in w.candidates]
            out["users"] += [[account, kid("user", u.id), {
                "name": f"{u.first_name} {u.last_name}", "email": u.email, "active": u.active,
                "created_at": None}] for u in w.people]
            out["offers"] += [[account, kid("offer", o.id), {
                "status": o.status,
                "status_raw": OFFER_STATUS[o.status],
                "application_id": kid("application", o.application_id),
                "job_id": kid("job", o.job_id), "candidate_id": kid("candidate", o.candidate_id),
                "starts_at": iso(start_of(o)), "custom_fields": o.custom_fields}]
                for o in w.offers]
            out["rejection_reasons"] += [[account, kid("rejection_reason", r.id), {
                "name": r.name, "type": None}] for r in w.rejection_reasons]
            out["scorecards"] += [[account, kid("scorecard", sc.id), {
                "interviewer_id": kid("user", sc.interviewer_id),
                "interview_id": kid("interview", sc.interview_id),
                "submitted_at": iso(sc.submitted_at),
                "overall_recommendation": sc.overall_recommendation,
                "overall_recommendation_raw": ANSWER_LABEL[sc.overall_recommendation],
                "ratings": [{"name": n, "rating": ANSWER_LABEL[r]} for n, r in sc.ratings],
                "notes": None}] for sc in w.scorecards]
            out["job_hiring_team"] += [[account, team_id(m), {
                "job_id": kid("job", m.job_id), "user_id": kid("user", m.user_id),
                "role": m.role, "role_raw": ROLE_LABEL[m.role]}] for m in w.hiring_team]
        out["departments"] = [[a, i, {"name": name}] for a, i, name in self._named("departments")]
        out["offices"] = [[a, i, {"name": name, "location": location}]
                          for a, i, (name, location) in self._named("offices")]
        out["sources"] = [[a, i, {"name": name, "type": None}]
                          for a, i, name in self._named("sources")]
        return out

    def _named(self, stream: str) -> list[tuple[str, str, Any]]:
        """The distinct entities Kombo only names: (account, name_id, what names it)."""
        out: dict[tuple[str, str], Any] = {}
        for account in self.accounts:
            w = self.world(account)
            if stream == "departments":
                named = [(d := w.departments.get(j.department_id).name, d) for j in w.jobs]
            elif stream == "offices":
                named = [(office_label(w, j)[0], office_label(w, j)) for j in w.jobs]
            else:
                named = [(a.source, a.source) for a in w.applications]
            out.update(((account, name_id(name)), value) for name, value in named)
        return [(a, i, v) for (a, i), v in sorted(out.items())]

    # Truth -------------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """Everything a full sync emits now; observed stages are the versions served so far.

        ``hires``: the hired live applications per job.
        """
        rows: dict[str, list[tuple[str, str, bool]]] = {
            s: [] for s in ("applications", "jobs", "job_stages", "interviews", "candidates",
                            "application_stages", "users", "offers", "rejection_reasons",
                            "scorecards", "job_hiring_team")}
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
            for kind, table in (("user", w.people), ("offer", w.offers),
                                ("rejection_reason", w.rejection_reasons),
                                ("scorecard", w.scorecards)):
                rows[f"{kind}s"] += [(account, kid(kind, r.id),
                                      getattr(r, "deleted_at", None) is not None) for r in table]
            rows["job_hiring_team"] += [(account, team_id(m), False) for m in w.hiring_team]
            observed, account_visits = self.served.truth(account)
            rows["application_stages"] += observed
            visits += account_visits
        for stream in ("departments", "offices", "sources"):
            rows[stream] = [(a, i, False) for a, i, _ in self._named(stream)]
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = hires_entry(hires)
        return out

