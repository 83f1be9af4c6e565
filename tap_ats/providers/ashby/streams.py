"""Ashby's streams: one small class per list endpoint, and the rows derived from them.

Each is declared on :class:`~tap_ats.providers.ashby.client.AshbyStream`: its endpoint, the
filters of its body, and the mapping of Ashby's object to the unified columns. The job stages
and the hiring team come from the jobs read; the applications read hands each application over
to the stage history (:mod:`~tap_ats.providers.ashby.history`), read per application.
"""

from __future__ import annotations

import typing as t

from tap_ats.conform import ts
from tap_ats.derived import DerivedStream, name_id
from tap_ats.outcomes import Lookups, account_of
from tap_ats.providers.ashby.client import AshbyStream, name_of

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

APPLICATION_STATUS = {"Active": "active", "Hired": "hired", "Archived": "rejected"}
JOB_STATUS = {"Open": "open", "Closed": "closed", "Draft": "draft", "Archived": "archived"}
INTERVIEW_STATUS = {"Scheduled": "scheduled", "Complete": "complete", "Cancelled": "canceled",
                    "WaitingOnFeedback": "awaiting_feedback"}
OFFER_STATUS = {"WaitingOnApprovalStart": "draft", "WaitingOnOfferApproval": "draft",
                "WaitingOnCandidateResponse": "sent", "CandidateAccepted": "accepted",
                "CandidateRejected": "declined", "OfferCancelled": "deprecated"}
REASON_TYPE = {"RejectedByOrg": "we_rejected", "RejectedByCandidate": "candidate_withdrew"}
HIRING_ROLE = {"hiring manager": "hiring_manager", "recruiter": "recruiter",
               "recruiting coordinator": "coordinator", "coordinator": "coordinator",
               "sourcer": "sourcer"}
STAGES_PATH = "/interviewStage.list"


def custom_fields(values: t.Any) -> dict | None:
    """Ashby's ``customFields`` array as one object: field id -> value."""
    if not isinstance(values, list):
        return None
    return {f["id"]: f.get("value") for f in values if isinstance(f, dict) and f.get("id")}


def _times(raw: dict) -> dict:
    return {"remote_id": None, "created_at": ts(raw.get("createdAt")),
            "updated_at": ts(raw.get("updatedAt")), "deleted_at": None}


class Applications(AshbyStream):
    """``application.list``; hands each application read to its stage history."""

    name = "applications"
    path = "/application.list"

    def generate_child_contexts(self, record: dict, context: Context | None) -> Iterable:
        """Hand each application read to the streams read per application (if selected)."""
        for child in self.child_streams:
            if child.selected and not isinstance(child, DerivedStream):
                self._pending[child.name].append(record)
        yield from super().generate_child_contexts(record, context)

    def ended(self, context: Context) -> None:
        """Store the new sync token, unless the applications' history failed in this run.

        Then the old token stays, so that the next run reads the same applications (and their
        histories) again; the history reads' own failure is reported as that stream's.
        """
        account = account_of(context) or ""
        if self.tap.report.stream(account, "application_stages").status == "failed":
            self._tokens.pop(account, None)
            self.get_context_state(context).pop("progress_markers", None)
            self.logger.warning("ashby account %s: application_stages failed, so applications "
                                "keeps its sync token: the next run reads the same changed "
                                "applications and their histories again", account)
            return
        super().ended(context)

    def map_record(self, raw: dict) -> dict:
        """Ashby application: candidate, job, stage, source and archive reason are nested."""
        status = raw.get("status")
        stage, source = name_of(raw.get("currentInterviewStage")), name_of(raw.get("source"))
        reason = name_of(raw.get("archiveReason"))
        return {
            "id": raw["id"], **_times(raw),
            "candidate_id": name_of(raw.get("candidate")).get("id"),
            "job_id": name_of(raw.get("job")).get("id"),
            "current_stage_id": stage.get("id"), "current_stage_name": stage.get("title"),
            "status": APPLICATION_STATUS.get(status, "other"), "status_raw": status,
            "applied_at": ts(raw.get("createdAt")), "rejected_at": ts(raw.get("archivedAt")),
            "rejection_reason": reason.get("text"), "rejection_reason_id": reason.get("id"),
            "source": source.get("title"), "source_id": source.get("id"),
            "custom_fields": custom_fields(raw.get("customFields")),
        }


class Jobs(AshbyStream):
    """``job.list``; each job read asks ``interviewStage.list`` for its plan's stages."""

    name = "jobs"
    path = "/job.list"

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        #: The source jobs and their plans' stages, of the page being read, by job id.
        self.source_jobs: dict[str, dict] = {}
        self.plan_stages: dict[str, list[dict]] = {}
        self._no_stages: set[str] = set()
        self._lookups = Lookups()

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Look the page's plans' stages up, then map the page."""
        self.source_jobs.clear()
        self.plan_stages.clear()
        account = self._reading or ""
        for job in self.page(answer):
            if (plan := job.get("defaultInterviewPlanId")) and account not in self._no_stages:
                stages = self._stages(account, plan)
                if stages is not None:
                    self.plan_stages[job["id"]] = stages
        yield from super().parse_page(answer)

    def _stages(self, account: str, plan: str) -> list[dict] | None:
        """The plan's stages, or None once refused or given up (:class:`Lookups`).

        The account's stages are then unknown, null rather than empty, for the rest of the run.
        """
        context = {"account_id": account}
        stages = self._lookups.read(
            self, context, STAGES_PATH, "jobs.stages and job_stages",
            lambda: self.fetch_all(STAGES_PATH, context, {"interviewPlanId": plan}), "job_stages")
        if stages is None:
            self._no_stages.add(account)
        return stages

    def map_record(self, raw: dict) -> dict:
        """Ashby job to the unified columns, with its plan's stages."""
        status = raw.get("status")
        self.source_jobs[raw["id"]] = raw
        stages = self.plan_stages.get(raw["id"])
        locations = [raw.get("locationId"), *(raw.get("secondaryLocationIds") or [])]
        return {
            "id": raw["id"], **_times(raw), "name": raw.get("title"),
            "code": raw.get("customRequisitionId"),
            "status": JOB_STATUS.get(status, "other"), "status_raw": status,
            "opened_at": ts(raw.get("openedAt")), "closed_at": ts(raw.get("closedAt")),
            "stages": None if stages is None else [
                {"id": s["id"], "name": s.get("title"), "order": s.get("orderInInterviewPlan"),
                 "active": None} for s in stages],
            "department_ids": [raw["departmentId"]] if raw.get("departmentId") else [],
            "office_ids": [loc for loc in locations if loc],
            "custom_fields": custom_fields(raw.get("customFields")),
        }


def _derived(job: dict, row_id: str, **columns: t.Any) -> dict:
    """A row derived from a job: its account, times and deletion."""
    return {"provider": job["provider"], "account_id": job["account_id"], "id": row_id,
            "remote_id": None, "created_at": job["created_at"], "updated_at": job["updated_at"],
            "deleted_at": None, "_sdc_deleted_at": None, **columns}


class JobStages(DerivedStream):
    """``job_stages``: the stages of each job's default interview plan."""

    name = "job_stages"
    parent_stream_type = Jobs

    def derive(self, parent_record: dict) -> list[dict]:
        """One row per stage, its ``interviewStage.list`` object kept as ``raw``."""
        job = parent_record
        sources = t.cast("Jobs", self._tap.streams[Jobs.name]).plan_stages.get(job["id"], [])
        raw = {s["id"]: s for s in sources}
        return [_derived(job, s["id"], job_id=job["id"], name=s["name"], order=s["order"],
                         active=None, raw=raw.get(s["id"]) if self._tap.include_raw else None)
                for s in job["stages"] or []]


class JobHiringTeam(DerivedStream):
    """``job_hiring_team`` from ``jobs[].hiringTeam``: one row per user and role."""

    name = "job_hiring_team"
    parent_stream_type = Jobs

    def derive(self, parent_record: dict) -> list[dict]:
        """Each member's role; a role of no unified kind keeps its name in ``role_raw``."""
        job = parent_record
        source = t.cast("Jobs", self._tap.streams[Jobs.name]).source_jobs.get(job["id"], {})
        rows: dict[str, dict] = {}
        for member in source.get("hiringTeam") or []:
            label, user = member.get("role"), member.get("userId")
            role = HIRING_ROLE.get(str(label).casefold(), "other")
            key = f"{job['id']}:{user}:{role}" + (
                f":{name_id(str(label))}" if role == "other" else "")
            rows.setdefault(key, _derived(job, key, job_id=job["id"], user_id=user, role=role,
                                          role_raw=label,
                                          raw=member if self._tap.include_raw else None))
        return list(rows.values())


class Interviews(AshbyStream):
    """``interviewSchedule.list``: one row per schedule, its events' times and panel."""

    name = "interviews"
    path = "/interviewSchedule.list"

    def map_record(self, raw: dict) -> dict:
        """A schedule spans its events: first start, last end, every interviewer once."""
        status = raw.get("status")
        events = [e for e in raw.get("interviewEvents") or [] if isinstance(e, dict)]
        starts = sorted(s for e in events if (s := ts(e.get("startTime"))))
        ends = sorted(s for e in events if (s := ts(e.get("endTime"))))
        panel = [u for e in events for u in e.get("interviewerUserIds") or []]
        return {
            "id": raw["id"], **_times(raw), "application_id": raw.get("applicationId"),
            "job_id": None, "stage_id": raw.get("interviewStageId"), "title": None,
            "status": INTERVIEW_STATUS.get(status, "other") if status else None,
            "status_raw": status, "start_at": starts[0] if starts else None,
            "end_at": ends[-1] if ends else None,
            "location": next((e["location"] for e in events if e.get("location")), None),
            "organizer_id": None, "interviewer_ids": list(dict.fromkeys(panel)),
        }


class Candidates(AshbyStream):
    """``candidate.list``: Ashby keeps one ``name``, so first and last name stay null."""

    name = "candidates"
    path = "/candidate.list"

    def map_record(self, raw: dict) -> dict:
        """Ashby candidate to the unified columns."""
        return {
            "id": raw["id"], **_times(raw), "first_name": None, "last_name": None,
            "emails": [e["value"] for e in raw.get("emailAddresses") or [] if e.get("value")],
            "phones": [p["value"] for p in raw.get("phoneNumbers") or [] if p.get("value")],
            "company": raw.get("company"), "title": raw.get("position"),
            "tags": [tag["title"] for tag in raw.get("tags") or [] if tag.get("title")],
            "custom_fields": custom_fields(raw.get("customFields")),
        }


class Users(AshbyStream):
    """``user.list``, deactivated users included (they organised and sat on interviews)."""

    name = "users"
    path = "/user.list"

    def body(self, context: Context | None) -> dict[str, t.Any]:
        """Deactivated users too."""
        return {"includeDeactivated": True}

    def map_record(self, raw: dict) -> dict:
        """Ashby user to the unified columns; Ashby gives no creation time."""
        names = [raw.get("firstName"), raw.get("lastName")]
        enabled = raw.get("isEnabled")
        return {"id": raw["id"], **_times(raw), "name": " ".join(n for n in names if n) or None,
                "email": raw.get("email"), "active": None if enabled is None else bool(enabled)}


class Offers(AshbyStream):
    """``offer.list``: one row per offer, its state its latest version's."""

    name = "offers"
    path = "/offer.list"

    def map_record(self, raw: dict) -> dict:
        """Ashby offer to the unified columns; job and candidate come through the application.

        ``created_at`` is the latest version's: when the offer as it stands was made.
        """
        status = raw.get("offerStatus")
        version = name_of(raw.get("latestVersion"))
        return {
            "id": raw["id"], "remote_id": None, "created_at": ts(version.get("createdAt")),
            "updated_at": None,
            "deleted_at": None, "application_id": raw.get("applicationId"), "job_id": None,
            "candidate_id": None,
            "status": OFFER_STATUS.get(status, "other") if status else None,
            "status_raw": status, "version": None, "sent_at": None,
            "resolved_at": ts(raw.get("decidedAt")), "starts_at": ts(version.get("startDate")),
            "custom_fields": custom_fields(version.get("customFields")),
        }


class CustomFieldDefinitions(AshbyStream):
    """``customField.list``: the keys of every ``custom_fields`` object are these ids."""

    name = "custom_field_definitions"
    path = "/customField.list"

    def map_record(self, raw: dict) -> dict:
        """Ashby custom field to the unified columns."""
        archived = raw.get("isArchived")
        return {"id": raw["id"], **_times(raw), "name": raw.get("title"), "key": raw["id"],
                "object_type": str(raw.get("objectType") or "").casefold() or None,
                "field_type": raw.get("fieldType"),
                "options": [str(v.get("label")) for v in raw.get("selectableValues") or []],
                "active": None if archived is None else not archived}


class Reference(AshbyStream):
    """A list with no sync token: read in full on every run, archived entries included."""

    sync_token = False
    replication_key = None

    def body(self, context: Context | None) -> dict[str, t.Any]:
        """Archived entries too: old applications still point at them."""
        return {"includeArchived": True}


class Departments(Reference):
    """``department.list``."""

    name = "departments"
    path = "/department.list"

    def map_record(self, raw: dict) -> dict:
        """Ashby department to the unified columns."""
        return {"id": raw["id"], **_times(raw), "name": raw.get("name"),
                "parent_id": raw.get("parentId"), "external_id": None}


class Offices(Reference):
    """``location.list``: Ashby's locations, regions (``LocationHierarchy``) included."""

    name = "offices"
    path = "/location.list"

    def map_record(self, raw: dict) -> dict:
        """Ashby location to the unified columns; the location is its address, one line."""
        address = name_of(name_of(raw.get("address")).get("postalAddress"))
        parts = [address.get(k) for k in ("addressLocality", "addressRegion", "addressCountry")]
        return {"id": raw["id"], **_times(raw), "name": raw.get("name"),
                "parent_id": raw.get("parentLocationId"),
                "location": ", ".join(p for p in parts if p) or None, "external_id": None}


class Sources(Reference):
    """``source.list``."""

    name = "sources"
    path = "/source.list"

    def map_record(self, raw: dict) -> dict:
        """Ashby source to the unified columns; its type is its source type's title."""
        return {"id": raw["id"], **_times(raw), "name": raw.get("title"),
                "type": name_of(raw.get("sourceType")).get("title")}


class RejectionReasons(Reference):
    """``archiveReason.list``: why applications were archived."""

    name = "rejection_reasons"
    path = "/archiveReason.list"

    def map_record(self, raw: dict) -> dict:
        """Ashby archive reason to the unified columns."""
        kind = raw.get("reasonType")
        return {"id": raw["id"], **_times(raw), "name": raw.get("text"),
                "type": REASON_TYPE.get(kind, "other") if kind else None, "type_raw": kind}
