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
The analytics models are served the same way: ``/offers`` (statuses spread over DRAFT /
APPROVED and SENT / SENT-MANUALLY / OPENED), ``/departments``, ``/offices``, ``/reject-reasons``,
``/scorecards`` (``expand=application`` on offers and scorecards), ``/eeocs``; jobs carry
``departments``, ``offices``, ``hiring_managers`` and ``recruiters`` (ids), and applications,
jobs, candidates and offers their custom fields as ``field_mappings``.
``--accounts N`` serves N linked accounts (tokens ``mtok_sandbox_00001``...) instead of the two
named ones, for the sharding tests and benchmark.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
import weakref
from typing import Any

from tap_ats.derived import name_id
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
    Application,
    Candidate,
    Demographic,
    Department,
    HiringTeamMember,
    Interview,
    Job,
    Offer,
    Office,
    RejectionReason,
    Scorecard,
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
         "reject_reason": 7, "department": 8, "office": 9, "offer": 10, "scorecard": 11,
         "eeoc": 12}
JOB_STATUS = {"open": "OPEN", "closed": "CLOSED", "draft": "DRAFT"}
#: OfferStatusEnum per world status; every other draft is APPROVED, sent ones vary (below).
OFFER_STATUS = {"draft": "DRAFT", "sent": "SENT", "accepted": "SIGNED", "declined": "DENIED",
                "deprecated": "DEPRECATED"}
SENT_VARIANTS = ["SENT", "SENT-MANUALLY", "OPENED"]
RECOMMENDATION = {"strong_yes": "STRONG_YES", "yes": "YES", "no": "NO",
                  "strong_no": "DEFINITELY_NO", "no_decision": "NO_DECISION"}
#: Job arrays of RemoteUser ids per world hiring-team role (Merge has no other roles).
HIRING_ARRAYS = {"hiring_manager": "hiring_managers", "recruiter": "recruiters"}
#: Custom fields served as the Merge customer's own Field Mapping targets; the rest of the
#: world's custom fields are served as linked-account targets.
ORGANIZATION_TARGETS = {"cost_center", "referral_bonus", "linkedin_handle", "salary"}
INTERVIEW_STATUS = {"scheduled": "SCHEDULED", "complete": "COMPLETE"}
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
#: The relations ``expand`` may name, per model (those the tap uses).
EXPANDABLE = {"applications": {"current_stage", "reject_reason"},
              "interviews": {"application"}, "offers": {"application"},
              "scorecards": {"application"}}


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

    @staticmethod
    def _field_mappings(values: dict[str, Any]) -> dict[str, Any]:
        """A record's custom fields as Merge serves mapped fields, split by who defined them."""
        return {"organization_defined_targets": {k: v for k, v in values.items()
                                                 if k in ORGANIZATION_TARGETS},
                "linked_account_defined_targets": {k: v for k, v in values.items()
                                                   if k not in ORGANIZATION_TARGETS}}

    def _application(self, w: World, a: Application, acct: str) -> dict[str, Any]:
        return {**self._common("application", a, acct),
                "field_mappings": self._field_mappings(a.custom_fields),
                "candidate": mid("candidate", a.candidate_id, acct),
                "job": mid("job", a.job_id, acct), "applied_at": iso(a.created_at),
                "rejected_at": iso(a.rejected_at), "offers": [], "source": a.source,
                "credited_to": None, "screening_question_answers": [],
                "current_stage": mid("stage", a.current.stage_id, acct),
                "reject_reason": mid("reject_reason", a.rejection_reason_id, acct)
                if a.rejection_reason_id else None}

    def _job(self, w: World, j: Job, acct: str) -> dict[str, Any]:
        team = _teams(w).get(j.id, [])
        return {**self._common("job", j, acct), "name": j.name, "description": None,
                "code": j.code, "status": JOB_STATUS[j.status], "type": "POSTING",
                "job_postings": [], "job_posting_urls": [], "confidential": False,
                "departments": [mid("department", j.department_id, acct)]
                if j.department_id else [],
                "offices": [mid("office", o, acct) for o in j.office_ids],
                **{key: [mid("user", m.user_id, acct) for m in team if m.role == role]
                   for role, key in HIRING_ARRAYS.items()},
                "remote_created_at": iso(j.created_at), "remote_updated_at": iso(j.updated_at),
                "field_mappings": self._field_mappings(j.custom_fields)}

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
                "urls": [], "tags": list(c.tags), "applications": [], "attachments": [],
                "field_mappings": self._field_mappings(c.custom_fields)}

    def _user(self, _w: World, u: User, acct: str) -> dict[str, Any]:
        return {**self._common("user", u, acct), "first_name": u.first_name,
                "last_name": u.last_name, "email": u.email, "disabled": not u.active,
                "access_role": "ADMIN" if u.id == 1 else "TEAM_MEMBER",
                "remote_created_at": iso(u.created_at)}

    def _reject_reason(self, _w: World, r: RejectionReason, acct: str) -> dict[str, Any]:
        return {**self._common("reject_reason", r, acct), "name": r.name}

    def _department(self, _w: World, d: Department, acct: str) -> dict[str, Any]:
        return {**self._common("department", d, acct), "name": d.name}

    def _office(self, _w: World, o: Office, acct: str) -> dict[str, Any]:
        return {**self._common("office", o, acct), "name": o.name, "location": o.location}

    def _offer(self, _w: World, o: Offer, acct: str) -> dict[str, Any]:
        start = dt.datetime.combine(o.starts_at, dt.time(), dt.UTC)
        return {**self._common("offer", o, acct),
                "application": mid("application", o.application_id, acct), "creator": None,
                "remote_created_at": iso(o.created_at), "closed_at": iso(o.resolved_at),
                "sent_at": iso(o.sent_at), "start_date": iso(start),
                "status": _offer_status(o), "field_mappings": self._field_mappings(o.custom_fields)}

    def _scorecard(self, _w: World, s: Scorecard, acct: str) -> dict[str, Any]:
        return {**self._common("scorecard", s, acct),
                "application": mid("application", s.application_id, acct),
                "interview": mid("interview", s.interview_id, acct),
                "interviewer": mid("user", s.interviewer_id, acct),
                "remote_created_at": iso(s.created_at), "submitted_at": iso(s.submitted_at),
                "overall_recommendation": RECOMMENDATION[s.overall_recommendation]}

    def _eeoc(self, _w: World, e: Demographic, acct: str) -> dict[str, Any]:
        return {**self._common("eeoc", e, acct),
                "candidate": mid("candidate", e.candidate_id, acct),
                "submitted_at": iso(e.submitted_at), "race": e.race, "gender": e.gender,
                "veteran_status": e.veteran_status, "disability_status": e.disability_status}

    def _expand(self, w: World, model: str, record: Any, rendered: dict[str, Any],
                relations: set[str], acct: str) -> None:
        """Replace related ids by the related objects, as Merge's ``expand`` does."""
        if "current_stage" in relations:
            rendered["current_stage"] = self._stage(w, w.stage(record.current.stage_id), acct)
        if "reject_reason" in relations and record.rejection_reason_id:
            rendered["reject_reason"] = self._reject_reason(
                w, w.rejection_reasons.get(record.rejection_reason_id), acct)
        if model in ("interviews", "offers", "scorecards") and "application" in relations:
            rendered["application"] = self._application(
                w, w.applications.get(record.application_id), acct)

    def _tables(self, w: World) -> dict[str, tuple[Any, Any]]:
        return {"applications": (w.applications, self._application), "jobs": (w.jobs, self._job),
                "job-interview-stages": (w.stages, self._stage),
                "interviews": (w.interviews, self._interview),
                "candidates": (w.candidates, self._candidate), "users": (w.people, self._user),
                "offers": (w.offers, self._offer), "departments": (w.departments, self._department),
                "offices": (w.offices, self._office),
                "reject-reasons": (w.rejection_reasons, self._reject_reason),
                "scorecards": (w.scorecards, self._scorecard),
                "eeocs": (w.demographics, self._eeoc)}

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
        """What the tap must take from expanded objects, id arrays and field mappings.

        Demographics are apart (:meth:`answers`): they are not selected by default.
        """
        out: dict[str, list[list[Any]]] = {}
        for account in self.accounts:
            for stream, rows in self._fields(self.world(account), account).items():
                out.setdefault(stream, []).extend(rows)
        return out

    def _fields(self, w: World, acct: str) -> dict[str, list[list[Any]]]:
        def reason(a: Application) -> str | None:
            return mid("reject_reason", a.rejection_reason_id, acct) if a.rejection_reason_id \
                else None

        return {
            "applications": [[acct, mid("application", a.id, acct), {
                "current_stage_name": w.stage(a.current.stage_id).name,
                "rejection_reason": a.rejection_reason, "rejection_reason_id": reason(a),
                "source": a.source, "source_id": name_id(a.source),
                "custom_fields": a.custom_fields}] for a in w.applications],
            "interviews": [[acct, mid("interview", i.id, acct), {
                "job_id": mid("job", i.job_id, acct),
                "organizer_id": mid("user", i.organizer_id, acct),
                "interviewer_ids": [mid("user", u, acct) for u in i.interviewer_ids]}]
                for i in w.interviews],
            "users": [[acct, mid("user", u.id, acct), {
                "name": f"{u.first_name} {u.last_name}", "email": u.email, "active": u.active}]
                for u in w.people],
            "jobs": [[acct, mid("job", j.id, acct), {
                "department_ids": [mid("department", j.department_id, acct)],
                "office_ids": [mid("office", o, acct) for o in j.office_ids],
                "custom_fields": j.custom_fields}] for j in w.jobs],
            "candidates": [[acct, mid("candidate", c.id, acct), {
                "custom_fields": c.custom_fields}] for c in w.candidates],
            "offers": [[acct, mid("offer", o.id, acct), {
                "application_id": mid("application", o.application_id, acct),
                "job_id": mid("job", o.job_id, acct),
                "candidate_id": mid("candidate", o.candidate_id, acct),
                "status": o.status, "status_raw": _offer_status(o), "version": None,
                "sent_at": iso(o.sent_at), "resolved_at": iso(o.resolved_at),
                "starts_at": f"{o.starts_at.isoformat()}T00:00:00.000Z",
                "custom_fields": o.custom_fields}] for o in w.offers],
            "departments": [[acct, mid("department", d.id, acct), {
                "name": d.name, "parent_id": None, "external_id": None}] for d in w.departments],
            "offices": [[acct, mid("office", o.id, acct), {
                "name": o.name, "location": o.location, "parent_id": None}] for o in w.offices],
            "rejection_reasons": [[acct, mid("reject_reason", r.id, acct), {
                "name": r.name, "type": None}] for r in w.rejection_reasons],
            "sources": [[acct, name_id(name), {"name": name, "type": None}]
                        for name in sorted({a.source for a in w.applications})],
            "job_hiring_team": [[acct, ":".join((mid("job", m.job_id, acct),
                                                 mid("user", m.user_id, acct), m.role)), {
                "job_id": mid("job", m.job_id, acct), "user_id": mid("user", m.user_id, acct),
                "role": m.role}] for m in w.hiring_team if m.role in HIRING_ARRAYS],
            "scorecards": [[acct, mid("scorecard", c.id, acct), {
                "application_id": mid("application", c.application_id, acct),
                "candidate_id": mid("candidate", c.candidate_id, acct),
                "job_id": mid("job", c.job_id, acct),
                "interview_id": mid("interview", c.interview_id, acct),
                "interviewer_id": mid("user", c.interviewer_id, acct),
                "submitted_at": iso(c.submitted_at),
                "overall_recommendation": c.overall_recommendation,
                "overall_recommendation_raw": RECOMMENDATION[c.overall_recommendation],
                "ratings": None, "notes": None}] for c in w.scorecards],
        }

    def answers(self) -> list[list[Any]]:
        """The demographics rows, as :meth:`fields` lists rows, for a run that selects them."""
        return [[account, mid("eeoc", e.id, account), {
            "application_id": None, "candidate_id": mid("candidate", e.candidate_id, account),
            "race": e.race, "gender": e.gender, "veteran_status": e.veteran_status,
            "disability_status": e.disability_status, "submitted_at": iso(e.submitted_at)}]
            for account in self.accounts for e in self.world(account).demographics]

    # Truth -------------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """Everything a full sync emits now; observed stages are the versions served so far."""
        rows: dict[str, list[tuple[str, str, bool]]] = {
            s: [] for s in ("applications", "jobs", "job_stages", "interviews", "candidates",
                            "application_stages", "users", "offers", "departments", "offices",
                            "rejection_reasons", "sources", "job_hiring_team", "scorecards",
                            "demographics")}
        visits = []
        for account in self.accounts:
            w = self.world(account)
            for stream, kind, table in (("applications", "application", w.applications),
                                        ("jobs", "job", w.jobs), ("job_stages", "stage", w.stages),
                                        ("interviews", "interview", w.interviews),
                                        ("candidates", "candidate", w.candidates),
                                        ("users", "user", w.people), ("offers", "offer", w.offers),
                                        ("departments", "department", w.departments),
                                        ("offices", "office", w.offices),
                                        ("rejection_reasons", "reject_reason",
                                         w.rejection_reasons),
                                        ("scorecards", "scorecard", w.scorecards),
                                        ("demographics", "eeoc", w.demographics)):
                rows[stream] += [(account, mid(kind, r.id, account),
                                  getattr(r, "deleted_at", None) is not None) for r in table]
            rows["sources"] += [(account, name_id(name), False)
                                for name in {a.source for a in w.applications}]
            rows["job_hiring_team"] += [
                (account, f"{mid('job', m.job_id, account)}:{mid('user', m.user_id, account)}:"
                 f"{m.role}", w.job(m.job_id).deleted_at is not None)
                for m in w.hiring_team if m.role in HIRING_ARRAYS]
            observed, account_visits = self.served.truth(account)
            rows["application_stages"] += observed
            visits += account_visits
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = []  # Merge applications carry no hire flag: the tap can report none
        return out


_TEAMS: weakref.WeakKeyDictionary[World, dict[int, list[HiringTeamMember]]] = (
    weakref.WeakKeyDictionary())


def _teams(w: World) -> dict[int, list[HiringTeamMember]]:
    """The world's hiring team by job, indexed once (teams are fixed when a world is made)."""
    if w not in _TEAMS:
        index: dict[int, list[HiringTeamMember]] = {}
        for member in w.hiring_team:
            index.setdefault(member.job_id, []).append(member)
        _TEAMS[w] = index
    return _TEAMS[w]


def _offer_status(o: Offer) -> str:
    """Merge's enum for a world offer; drafts and sent offers spread over Merge's finer values."""
    if o.status == "draft" and o.id % 2 == 0:
        return "APPROVED"
    if o.status == "sent":
        return SENT_VARIANTS[o.id % len(SENT_VARIANTS)]
    return OFFER_STATUS[o.status]


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
