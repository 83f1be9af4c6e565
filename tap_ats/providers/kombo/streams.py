"""Kombo's core streams: the hiring pipeline from applications to the people who interview.

Applications and their observed stage history, jobs and the job stages flattened from them,
interviews, candidates and users. Each is a small declarative class on
:class:`~tap_ats.providers.kombo.client.KomboStream`, or a stream derived from one at no
request's cost; the helpers after :class:`Jobs` read the Kombo job a unified job was mapped
from, for the streams derived from jobs here and in :mod:`.entities`.
"""

from __future__ import annotations

import typing as t

from tap_ats.conform import ts
from tap_ats.derived import DerivedStream, ObservedStages, name_id
from tap_ats.providers.kombo.client import KomboStream, _common

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

APPLICATION_STATUS = {"PENDING": "active", "HIRED": "hired", "DECLINED": "rejected"}
JOB_STATUS = {"OPEN": "open", "CLOSED": "closed", "DRAFT": "draft", "ARCHIVED": "archived"}


class Applications(KomboStream):
    """``GET /ats/applications``; feeds the observed ``application_stages`` and ``sources``."""

    name = "applications"
    path = "/ats/applications"

    def request_records(self, context: Context | None) -> t.Iterator[dict]:
        """Keep the integration being parsed: a rejection reason id is looked up in it."""
        self._context = context
        yield from super().request_records(context)

    def map_record(self, raw: dict) -> dict:
        """Kombo application to the unified columns; the source is its candidate's.

        The current stage's ``index`` is kept for the job's stage order (see :class:`Jobs`).
        """
        outcome = raw.get("outcome")
        reason = raw.get("rejection_reason_name")
        source = (raw.get("candidate") or {}).get("source") or None
        stage = raw.get("current_stage") or {}
        if stage.get("id") and stage.get("index") is not None:
            self.tap.provider.stage_index[stage["id"]] = stage["index"]
        return {
            **_common(raw),
            "candidate_id": raw.get("candidate_id"), "job_id": raw.get("job_id"),
            "current_stage_id": raw.get("current_stage_id"),
            "current_stage_name": stage.get("name"),
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


class Jobs(KomboStream):
    """``GET /ats/jobs`` with their stages, department, location and hiring team.

    Feeds ``job_stages``, ``departments``, ``offices`` and ``job_hiring_team``. A stage's order
    is its ``index``; Kombo may leave that out of ``jobs[].stages`` while an application's
    ``current_stage`` (required there, read first) carries it, and then that one is used.
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
            "stages": [{"id": s["id"], "name": s.get("name"), "order": stage_order(s, self.tap),
                        "active": s.get("status") != "INACTIVE"} for s in raw.get("stages") or []],
            "department_ids": [name_id(department)] if department else [],
            "office_ids": [name_id(office)] if office else [],
            "custom_fields": raw.get("custom_fields"),
        }


def stage_order(stage: dict, tap: t.Any) -> int | None:
    """The stage's ``index``, else the one the applications in it reported."""
    index = stage.get("index")
    return index if index is not None else tap.provider.stage_index.get(stage["id"])


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
            "job_id": ((raw.get("application") or {}).get("job") or {}).get("id"),
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
