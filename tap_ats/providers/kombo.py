"""Kombo's unified ATS API (``/v1/ats/...``).

- Auth: ``Authorization: Bearer <api_key>`` plus ``X-Integration-Id`` per integration; each
  integration in ``integration_ids`` is one account (its own state partition).
- Pages: ``page_size`` (max 250) and ``cursor`` from ``data.next``; Kombo wants the same filters
  on every page, so every request repeats them.
- Incremental: ``updated_after`` also matches nested changes that leave ``changed_at`` alone,
  so the next bookmark is the time the integration's sync started (Kombo's own guidance), less
  ``lookback_window`` on the next run. Every list endpoint read here (applications, jobs,
  interviews, candidates, users, offers, rejection-reasons, scorecards) takes the same
  ``updated_after``, ``include_deleted``, ``cursor`` and ``page_size``.
- Deletes: ``include_deleted=true`` always; ``remote_deleted_at`` becomes ``deleted_at``.
- Stage history: Kombo exposes only the current stage, so ``application_stages`` rows are
  observed from each application read (``origin=observed``); ``job_stages`` are flattened from
  ``jobs[].stages`` (``remote_id`` and ``raw`` from that stage object itself). Neither costs a
  request. Names come from the nested objects of the same record: ``current_stage.name``,
  ``rejection_reason_name``, the interview's ``application.job_id`` and ``users[].id``.
- ``users``: ``GET /ats/users`` (``first_name``, ``last_name``, ``email``, ``status``
  ACTIVE/INACTIVE). Kombo's user has no creation time, so ``created_at`` stays null.
- ``offers``: ``GET /ats/offers``. Status DRAFT and APPROVED (approved, not yet sent) are
  ``draft``, SENT ``sent``, ACCEPTED ``accepted``, DECLINED ``declined``, ABANDONED
  ``deprecated`` (no longer in play), anything else ``other``; ``status_raw`` keeps Kombo's
  word. ``job_id`` and ``candidate_id`` come from the nested ``application``; ``starts_at``
  from ``employment_start_date``. Kombo's offer has no version, sent or resolved time: those
  stay null.
- ``rejection_reasons``: ``GET /ats/rejection-reasons`` gives ``name`` only, no type, so
  ``type`` and ``type_raw`` stay null rather than guessed from the name.
  ``applications.rejection_reason_id`` is looked up by ``rejection_reason_name`` (Kombo's
  application carries no reason id) in the integration's full rejection-reason list, read once
  per run on the first rejected application; a key that may not read that list leaves the
  column null with one warning per integration, and the applications are still read.
- ``departments`` and ``offices``: Kombo has no such endpoints; a job carries one
  ``department`` string and one ``location`` object. Both streams are derived from the jobs
  read (no request), one row per distinct name, with ``id = name_id(name)`` (a stable hash of
  the name, as Kombo gives no id): the department string; the location's ``city``, else its
  ``raw`` text (``location`` is ``raw``, else city, state and country joined). ``parent_id``,
  ``external_id`` and the times stay null: Kombo carries none. ``jobs.department_ids`` and
  ``office_ids`` hold the same ids.
- ``sources``: derived from ``applications[].candidate.source`` (Kombo keeps the source on the
  candidate, and the application embeds its candidate), ``id = name_id(name)``; ``type``
  stays null. ``applications.source`` and ``source_id`` are filled from the same string.
- ``job_hiring_team``: from ``jobs[].hiring_team``, one row per user and role: ``job_roles``
  (their ``unified_type`` HIRING_MANAGER/RECRUITER/COORDINATOR/SOURCER, anything else
  ``other``; ``role_raw`` is the ATS's ``remote_label``), else the deprecated
  ``hiring_team_roles``. A member removed from a team has no delete signal: only a deleted
  job's rows get ``deleted_at``.
- ``scorecards``: ``GET /ats/scorecards``. ``interviewer_id`` is ``author_id``,
  ``submitted_at`` ``remote_created_at`` (Kombo has no submission time of its own), ``job_id``
  stays null (join applications). The overall recommendation is the single-select response
  without a ``remote_id`` (Kombo: the headline rating kept outside the rubric), normalised
  from its label; ``ratings`` are the other non-text responses as labelled. Free-text
  responses are notes: in ``notes`` and ``raw`` only with ``include_scorecard_notes``.
- ``demographics`` is not offered: Kombo marks EEO questions only on a job's
  ``screening_questions`` (``category: EEO``); an application's answers carry no category and
  Kombo documents no way of reading EEO answers, so race, gender, veteran and disability could
  only be guessed from question titles.
- ``custom_fields`` on applications, candidates, jobs and offers: Kombo's ``custom_fields``
  object as it is. ``custom_field_definitions`` is not offered here (Kombo lists definitions
  per integration outside the ATS model).
- Not filled, because Kombo's objects do not carry them: ``interviews.organizer_id`` and a
  status beyond ``canceled``.
- Rate limit: none is published for reads; ``max_requests_per_minute`` paces each integration
  if set, and 429s are retried after ``Retry-After``.
- Kombo by default only syncs applications created through Kombo: turn off "Only Sync Created
  Applications" in the Kombo dashboard to read every application.
"""

from __future__ import annotations

import threading
import typing as t
from functools import cached_property

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator

from tap_ats.client import ATSStream
from tap_ats.conform import ts
from tap_ats.derived import DerivedStream, DistinctDerived, ObservedStages, name_id
from tap_ats.http import Refused
from tap_ats.paging import BodyCursorPaginator, pages
from tap_ats.provider import Provider

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_ats.http import Answer

APPLICATION_STATUS = {"PENDING": "active", "HIRED": "hired", "DECLINED": "rejected"}
JOB_STATUS = {"OPEN": "open", "CLOSED": "closed", "DRAFT": "draft", "ARCHIVED": "archived"}
OFFER_STATUS = {"DRAFT": "draft", "APPROVED": "draft", "SENT": "sent", "ACCEPTED": "accepted",
                "DECLINED": "declined", "ABANDONED": "deprecated"}
HIRING_ROLE = {"HIRING_MANAGER": "hiring_manager", "RECRUITER": "recruiter",
               "COORDINATOR": "coordinator", "SOURCER": "sourcer"}
#: Headline scorecard labels, case-folded with spaces as ``_``, to the unified recommendation.
RECOMMENDATION = {"strong_yes": "strong_yes", "strong_hire": "strong_yes", "yes": "yes",
                  "hire": "yes", "no": "no", "no_hire": "no", "strong_no": "strong_no",
                  "definitely_not": "strong_no", "strong_no_hire": "strong_no",
                  "no_decision": "no_decision"}
REJECTION_REASONS_PATH = "/ats/rejection-reasons"


class Kombo(Provider):
    """Kombo: one account per integration id."""

    name = "kombo"
    default_url = "https://api.kombo.dev/v1"
    max_page_size = 250
    required = ("api_key", "integration_ids")

    @cached_property
    def accounts(self) -> list[str]:
        """The configured integration ids that fall in ``account_shard``."""
        return [i for i in self.config["integration_ids"] if self.shard.holds(i)]

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        super().__init__(config)
        self._reasons_lock = threading.Lock()
        #: Rejection reason ids by name, per integration (None: the key may not read them).
        self._reasons: dict[str, dict[str, str] | None] = {}

    def stream_classes(self) -> list[type]:
        """What Kombo serves: not candidate_history, demographics, custom_field_definitions."""
        return [Applications, KomboApplicationStages, Sources, Jobs, JobStages, Departments,
                Offices, JobHiringTeam, Interviews, Candidates, Users, Offers, RejectionReasons,
                Scorecards]

    def rejection_reason_id(self, stream: KomboStream, context: Context, name: str) -> str | None:
        """The id of the integration's rejection reason called ``name``.

        The list is read once per integration and run, on first need; a key that may not read
        it leaves ``rejection_reason_id`` null, with one warning, and the stream is still read.
        """
        account = context["account_id"]
        with self._reasons_lock:
            if account not in self._reasons:
                try:
                    rows = stream.fetch_all(REJECTION_REASONS_PATH, context)
                    self._reasons[account] = {r["name"]: r["id"] for r in rows if r.get("name")}
                except Refused as exc:
                    self._reasons[account] = None
                    stream.tap.report.stream(account, stream.name).refused_lookups.append(
                        REJECTION_REASONS_PATH)
                    stream.logger.warning(
                        "Account %s: %s answered %d, so applications.rejection_reason_id stays "
                        "null (the stream itself is read). To fill it, %s", account,
                        REJECTION_REASONS_PATH, exc.status,
                        self.permission_hint("rejection_reasons", REJECTION_REASONS_PATH))
            return (self._reasons[account] or {}).get(name)

    def error_detail(self, response: t.Any) -> str:
        """Kombo's ``error.code`` and ``error.message``."""
        try:
            err = response.json()["error"]
            return f"{err['code']}: {err['message']}"
        except (ValueError, KeyError, TypeError):
            return super().error_detail(response)

    def auth_hint(self, status: int) -> str:
        """Which Kombo credential to check."""
        return "Check setting 'api_key' (a Kombo API key from the dashboard's Secrets page)"

    def permission_hint(self, stream: str, path: str) -> str:
        """Kombo enables data models per integration, in its scope configuration."""
        return (f"enable the {stream} model in this integration's scope configuration (Kombo "
                "dashboard) or ask Kombo whether the integration offers it")

    def account_unknown(self, response: requests.Response) -> bool:
        """A 404 ``PLATFORM.INTEGRATION_NOT_FOUND``: the integration id itself is unknown."""
        return response.status_code == 404 and "INTEGRATION_NOT_FOUND" in response.text


class KomboStream(ATSStream):
    """Base client: bearer key, integration header, body cursor, repeated filters."""

    records_key = "results"

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        """The API key as a bearer token (sent as a header, never in the URL)."""
        return BearerTokenAuthenticator(token=self.config["api_key"])

    def get_new_paginator(self) -> BodyCursorPaginator:
        """Cursor in ``data.next``."""
        return BodyCursorPaginator(self.tap.provider.name, self.url_base, "data", "next")

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """Add the integration of the partition being read."""
        request = super().get_http_request(page=page)
        request.headers["X-Integration-Id"] = page.stream_context["account_id"]
        return request

    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """The same filters on every page, plus the cursor after the first."""
        params: dict[str, t.Any] = {"page_size": self.page_size, "include_deleted": "true"}
        if (start := self.start_time(context)) is not None:
            params["updated_after"] = start.strftime("%Y-%m-%dT%H:%M:%S.") + (
                f"{start.microsecond // 1000:03d}Z")
        if next_page_token:
            params["cursor"] = next_page_token
        return params

    def records_from(self, payload: dict) -> list[dict]:
        """Records in ``data.results``."""
        return payload["data"]["results"]

    def fetch_all(self, path: str, context: Context) -> list[dict]:
        """Every record of ``path`` for the context's integration, deleted ones left out."""

        def send(cursor: str | None) -> Answer:
            params = {"page_size": self.page_size, **({"cursor": cursor} if cursor else {})}
            return self.send(self.build_prepared_request(
                method="GET", url=self.url_base + path, params=params,
                headers={**self.http_headers, "X-Integration-Id": context["account_id"]}),
                context)

        return [row for answer in pages(send, self.get_new_paginator(), self.page,
                                        f"kombo {path}") for row in self.page(answer)]


def _common(raw: dict) -> dict:
    """The common columns every Kombo object fills the same way."""
    return {"id": raw["id"], "remote_id": raw.get("remote_id"),
            "created_at": ts(raw.get("remote_created_at")), "updated_at": ts(raw.get("changed_at")),
            "deleted_at": ts(raw.get("remote_deleted_at"))}


class Applications(KomboStream):
    """``GET /ats/applications``; feeds the observed ``application_stages`` and ``sources``."""

    name = "applications"
    path = "/ats/applications"

    def request_records(self, context: Context | None) -> t.Iterator[dict]:
        """Keep the integration being parsed: a rejection reason id is looked up in it."""
        self._context = context
        yield from super().request_records(context)

    def map_record(self, raw: dict) -> dict:
        """Kombo application to the unified columns; the source is its candidate's."""
        outcome = raw.get("outcome")
        reason = raw.get("rejection_reason_name")
        source = (raw.get("candidate") or {}).get("source") or None
        return {
            **_common(raw),
            "candidate_id": raw.get("candidate_id"), "job_id": raw.get("job_id"),
            "current_stage_id": raw.get("current_stage_id"),
            "current_stage_name": (raw.get("current_stage") or {}).get("name"),
            "status": APPLICATION_STATUS.get(outcome, "other"), "status_raw": outcome,
            "applied_at": ts(raw.get("remote_created_at")),
            "rejected_at": ts(raw.get("rejected_at")),
            "rejection_reason": reason,
            "rejection_reason_id": self.tap.provider.rejection_reason_id(
                self, self._context, reason) if reason else None,
            "source": source, "source_id": name_id(source) if source else None,
            "custom_fields": raw.get("custom_fields"),
        }


class KomboApplicationStages(ObservedStages):
    """Observed stage rows, one per application read."""

    parent_stream_type = Applications


def _named(parent: dict, name: str, **columns: t.Any) -> dict:
    """A row of an entity Kombo only names: the id is the name's stable hash, no times."""
    return {"provider": parent["provider"], "account_id": parent["account_id"],
            "id": name_id(name), "remote_id": None, "created_at": None, "updated_at": None,
            "deleted_at": None, "_sdc_deleted_at": None, "name": name, **columns, "raw": None}


class Sources(DistinctDerived):
    """``sources`` named by the applications' candidates (Kombo lists no sources)."""

    name = "sources"
    parent_stream_type = Applications

    def derive_all(self, parent_record: dict) -> list[dict]:
        """The application's source, if it has one."""
        source = parent_record["source"]
        return [_named(parent_record, source, type=None)] if source else []


class Jobs(KomboStream):
    """``GET /ats/jobs`` with their stages, department, location and hiring team.

    Feeds ``job_stages``, ``departments``, ``offices`` and ``job_hiring_team``.
    """

    name = "jobs"
    path = "/ats/jobs"

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        #: The source objects of the jobs of the page being read, by job id: the derived
        #: streams read them whether or not ``raw`` is kept.
        self.source_jobs: dict[str, dict] = {}

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Map a page, keeping only this page's source jobs (the previous page's are out)."""
        self.source_jobs.clear()
        yield from super().parse_page(answer)

    def map_record(self, raw: dict) -> dict:
        """Kombo job to the unified columns; its department and location become ids."""
        status = raw.get("status")
        self.source_jobs[raw["id"]] = raw
        department = department_name(raw)
        office = office_name(raw)
        return {
            **_common(raw),
            "name": raw.get("name"), "code": raw.get("job_code"),
            "status": JOB_STATUS.get(status, "other"), "status_raw": status,
            "opened_at": ts(raw.get("opened_at")), "closed_at": ts(raw.get("closed_at")),
            "stages": [{"id": s["id"], "name": s.get("name"), "order": s.get("index"),
                        "active": s.get("status") != "INACTIVE"} for s in raw.get("stages") or []],
            "department_ids": [name_id(department)] if department else [],
            "office_ids": [name_id(office)] if office else [],
            "custom_fields": raw.get("custom_fields"),
        }


def source_job(job: dict, tap: t.Any) -> dict:
    """The Kombo object a unified job was mapped from (on the page being read)."""
    return t.cast("Jobs", tap.streams[Jobs.name]).source_jobs.get(job["id"], {})


def department_name(job: dict) -> str | None:
    """The job's department string, trimmed (Kombo passes the ATS's text through)."""
    return (job.get("department") or "").strip() or None


def office_name(job: dict) -> str | None:
    """The office a job's location names: its city, else its raw text."""
    location = job.get("location") or {}
    return (location.get("city") or location.get("raw") or "").strip() or None


def location_text(location: dict) -> str | None:
    """A location as one line: Kombo's raw text, else city, state and country."""
    parts = [location.get(k) for k in ("city", "state", "country") if location.get(k)]
    return location.get("raw") or ", ".join(parts) or None


class JobStages(DerivedStream):
    """``job_stages`` flattened from ``jobs[].stages``."""

    name = "job_stages"
    parent_stream_type = Jobs

    def derive(self, parent_record: dict) -> list[dict]:
        """One row per stage of the job, its source object kept as ``raw``."""
        job = parent_record
        sources = {s.get("id"): s for s in source_job(job, self._tap).get("stages") or []}
        return [{
            "provider": job["provider"], "account_id": job["account_id"], "id": s["id"],
            "remote_id": sources.get(s["id"], {}).get("remote_id"),
            "created_at": job["created_at"], "updated_at": job["updated_at"],
            "deleted_at": job["deleted_at"], "_sdc_deleted_at": job["deleted_at"],
            "job_id": job["id"], "name": s["name"], "order": s["order"], "active": s["active"],
            "raw": sources.get(s["id"]) if self._tap.include_raw else None,
        } for s in job["stages"] or []]


class Departments(DistinctDerived):
    """``departments`` named by the jobs' ``department`` strings."""

    name = "departments"
    parent_stream_type = Jobs

    def derive_all(self, parent_record: dict) -> list[dict]:
        """The job's department, if it names one."""
        name = department_name(source_job(parent_record, self._tap))
        return [_named(parent_record, name, parent_id=None, external_id=None)] if name else []


class Offices(DistinctDerived):
    """``offices`` named by the jobs' ``location`` objects."""

    name = "offices"
    parent_stream_type = Jobs

    def derive_all(self, parent_record: dict) -> list[dict]:
        """The job's office, if its location names one."""
        raw = source_job(parent_record, self._tap)
        name = office_name(raw)
        if not name:
            return []
        return [_named(parent_record, name, parent_id=None,
                       location=location_text(raw.get("location") or {}), external_id=None)]


class JobHiringTeam(DerivedStream):
    """``job_hiring_team`` from ``jobs[].hiring_team``: one row per user and role."""

    name = "job_hiring_team"
    parent_stream_type = Jobs

    def derive(self, parent_record: dict) -> list[dict]:
        """Each member's roles: ``job_roles``, else the older ``hiring_team_roles``."""
        job = parent_record
        rows: dict[str, dict] = {}
        for member in source_job(job, self._tap).get("hiring_team") or []:
            roles = [(r.get("unified_type"), r.get("remote_label") or r.get("unified_type"))
                     for r in member.get("job_roles") or []]
            roles = roles or [(r, r) for r in member.get("hiring_team_roles") or []]
            for kind, label in roles:
                role = HIRING_ROLE.get(kind, "other")
                key = f"{job['id']}:{member['id']}:{role}"
                rows.setdefault(key, {
                    "provider": job["provider"], "account_id": job["account_id"], "id": key,
                    "remote_id": None, "created_at": job["created_at"],
                    "updated_at": job["updated_at"], "deleted_at": job["deleted_at"],
                    "_sdc_deleted_at": job["deleted_at"], "job_id": job["id"],
                    "user_id": member["id"], "role": role, "role_raw": label,
                    "raw": member if self._tap.include_raw else None})
        return list(rows.values())


class Interviews(KomboStream):
    """``GET /ats/interviews``."""

    name = "interviews"
    path = "/ats/interviews"

    def map_record(self, raw: dict) -> dict:
        """Kombo interview to the unified columns; Kombo has no status beyond ``canceled``."""
        location = raw.get("location") or {}
        return {
            "id": raw["id"], "remote_id": raw.get("remote_id"),
            "created_at": ts(raw.get("remote_created_at")), "updated_at": ts(raw.get("changed_at")),
            "deleted_at": ts(raw.get("remote_deleted_at")),
            "application_id": raw.get("application_id"),
            "job_id": (raw.get("application") or {}).get("job_id"),
            "stage_id": raw.get("stage_id"), "title": raw.get("title"),
            "status": "canceled" if raw.get("canceled") else None,
            "status_raw": "canceled" if raw.get("canceled") else None,
            "start_at": ts(raw.get("starting_at")), "end_at": ts(raw.get("ending_at")),
            "location": location.get("raw") if isinstance(location, dict) else location,
            "organizer_id": None,
            "interviewer_ids": [u["id"] for u in raw.get("users") or [] if u.get("id")],
        }


class Candidates(KomboStream):
    """``GET /ats/candidates``."""

    name = "candidates"
    path = "/ats/candidates"

    def map_record(self, raw: dict) -> dict:
        """Kombo candidate to the unified columns."""
        return {
            "id": raw["id"], "remote_id": raw.get("remote_id"),
            "created_at": ts(raw.get("remote_created_at")), "updated_at": ts(raw.get("changed_at")),
            "deleted_at": ts(raw.get("remote_deleted_at")),
            "first_name": raw.get("first_name"), "last_name": raw.get("last_name"),
            "emails": [e["email_address"] for e in raw.get("email_addresses") or []],
            "phones": [p["phone_number"] for p in raw.get("phone_numbers") or []],
            "company": raw.get("company"), "title": raw.get("title"),
            "tags": [tag["name"] for tag in raw.get("tags") or []],
            "custom_fields": raw.get("custom_fields"),
        }


class Users(KomboStream):
    """``GET /ats/users``: people on the hiring side."""

    name = "users"
    path = "/ats/users"

    def map_record(self, raw: dict) -> dict:
        """Kombo user to the unified columns; a null status leaves ``active`` unknown."""
        status = raw.get("status")
        names = [raw.get("first_name"), raw.get("last_name")]
        return {
            **_common(raw),
            "name": " ".join(n for n in names if n) or None, "email": raw.get("email"),
            "active": None if status is None else status == "ACTIVE",
        }


class Offers(KomboStream):
    """``GET /ats/offers``."""

    name = "offers"
    path = "/ats/offers"

    def map_record(self, raw: dict) -> dict:
        """Kombo offer to the unified columns; job and candidate from its application."""
        status = raw.get("status")
        application = raw.get("application") or {}
        return {
            **_common(raw),
            "application_id": raw.get("application_id"),
            "job_id": (application.get("job") or {}).get("id"),
            "candidate_id": (application.get("candidate") or {}).get("id"),
            "status": OFFER_STATUS.get(status, "other") if status else None, "status_raw": status,
            "version": None, "sent_at": None, "resolved_at": None,
            "starts_at": ts(raw.get("employment_start_date")),
            "custom_fields": raw.get("custom_fields"),
        }


class RejectionReasons(KomboStream):
    """``GET /ats/rejection-reasons``: names only, so no type."""

    name = "rejection_reasons"
    path = REJECTION_REASONS_PATH

    def map_record(self, raw: dict) -> dict:
        """Kombo rejection reason to the unified columns."""
        return {**_common(raw), "name": raw.get("name"), "type": None, "type_raw": None}


class Scorecards(KomboStream):
    """``GET /ats/scorecards``; free-text answers only with ``include_scorecard_notes``."""

    name = "scorecards"
    path = "/ats/scorecards"

    def map_record(self, raw: dict) -> dict:
        """Kombo scorecard to the unified columns (see the module docstring)."""
        responses = raw.get("responses") or []
        headline = next((r for r in responses if r.get("remote_id") is None
                         and r.get("type") == "SINGLE_SELECT"), None)
        label = ((headline or {}).get("answer") or {}).get("label")
        notes = [r["answer"] for r in responses if r.get("type") == "TEXT" and r.get("answer")]
        return {
            **_common(raw),
            "application_id": raw.get("application_id"),
            "candidate_id": raw.get("candidate_id"), "job_id": None,
            "interview_id": raw.get("interview_id"), "interviewer_id": raw.get("author_id"),
            "submitted_at": ts(raw.get("remote_created_at")),
            "overall_recommendation": RECOMMENDATION.get(
                "_".join(label.casefold().replace("-", " ").split()), "other") if label else None,
            "overall_recommendation_raw": label,
            "ratings": [{"name": r.get("label"), "rating": rating(r)} for r in responses
                        if r is not headline and r.get("type") != "TEXT"
                        and rating(r) is not None],
            "notes": "\n\n".join(notes) or None if self.tap.include_scorecard_notes else None,
        }

    def unified(self, raw: dict) -> dict:
        """Without ``include_scorecard_notes``, ``raw`` loses the free-text answers too."""
        record = super().unified(raw)
        if record["raw"] is not None and not self.tap.include_scorecard_notes:
            record["raw"] = {**raw, "responses": [r for r in raw.get("responses") or []
                                                  if r.get("type") != "TEXT"]}
        return record


def rating(response: dict) -> str | None:
    """A scorecard answer as the ATS words it: an option's label, else the value as text."""
    answer = response.get("answer")
    if answer is None:
        return None
    if isinstance(answer, dict):
        return answer.get("label")
    if isinstance(answer, list):
        return ", ".join(a.get("label", "") for a in answer) or None
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    return str(answer)
