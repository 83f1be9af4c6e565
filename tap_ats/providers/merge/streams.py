"""Merge's core streams: the hiring pipeline from applications to the people who interview.

Applications and their observed stage history, jobs, job stages, interviews, candidates and
users (the interviews' organizers and interviewers). Each is a small declarative class on
:class:`~tap_ats.providers.merge.client.MergeStream`: a path, the ``expand`` it asks for, and
the mapping of Merge's model to the unified columns; the stage history is observed from the
applications at no request's cost.
"""

from __future__ import annotations

import typing as t

from tap_ats.conform import ts
from tap_ats.derived import ObservedStages, name_id
from tap_ats.providers.merge.client import MergeStream, custom_fields, ids, related

JOB_STATUS = {"OPEN": "open", "CLOSED": "closed", "DRAFT": "draft", "ARCHIVED": "archived"}
#: Merge's three values, plus the cancellations it passes through from ATSs it cannot map.
INTERVIEW_STATUS = {"SCHEDULED": "scheduled", "AWAITING_FEEDBACK": "awaiting_feedback",
                    "COMPLETE": "complete", "CANCELED": "canceled", "CANCELLED": "canceled"}
#: The Job's arrays of RemoteUser ids, each with its hiring-team role.
HIRING_ROLES = {"hiring_managers": "hiring_manager", "recruiters": "recruiter"}


class Applications(MergeStream):
    """``GET /ats/v1/applications``; feeds the observed ``application_stages``."""

    name = "applications"
    path = "/ats/v1/applications"
    expand = "current_stage,reject_reason"
    expand_columns = ("applications.current_stage_name, applications.rejection_reason and "
                      "application_stages.stage_name")
    expand_models = "JobInterviewStage and RejectReason"

    def map_record(self, raw: dict) -> dict:
        """Merge application to the unified columns (status: rejected_at is all Merge gives)."""
        rejected = raw.get("rejected_at")
        stage = related(raw.get("current_stage"))
        return {**self.common(raw), "candidate_id": related(raw.get("candidate")).get("id"),
                "job_id": related(raw.get("job")).get("id"), "current_stage_id": stage.get("id"),
                "current_stage_name": stage.get("name"),
                "status": "rejected" if rejected else "active",
                "status_raw": None, "applied_at": ts(raw.get("applied_at")),
                "rejected_at": ts(rejected),
                "rejection_reason": related(raw.get("reject_reason")).get("name"),
                "source": raw.get("source"),
                "source_id": name_id(raw["source"]) if raw.get("source") else None,
                "rejection_reason_id": related(raw.get("reject_reason")).get("id"),
                "custom_fields": custom_fields(raw)}


class MergeApplicationStages(ObservedStages):
    """Observed stage rows, one per application read."""

    parent_stream_type = Applications


class Jobs(MergeStream):
    """``GET /ats/v1/jobs`` (stages are the separate ``job_stages`` stream)."""

    name = "jobs"
    path = "/ats/v1/jobs"

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        #: Job id -> (user id, role) of the jobs mapped but not yet handed to job_hiring_team.
        self.teams: dict[str, list[tuple[str, str]]] = {}

    def map_record(self, raw: dict) -> dict:
        """Merge job to the unified columns; keep its hiring team if that stream is selected."""
        if any(child.selected for child in self.child_streams):
            # Once per (user, role): a user listed twice, or null, adds no row.
            self.teams[str(raw["id"])] = list(dict.fromkeys(
                (user, role) for key, role in HIRING_ROLES.items() for user in ids(raw.get(key))))
        status = raw.get("status")
        return {**self.common(raw), "name": raw.get("name"), "code": raw.get("code"),
                "status": JOB_STATUS.get(status, "other"), "status_raw": status,
                "opened_at": None, "closed_at": None, "stages": None,
                "department_ids": ids(raw.get("departments")),
                "office_ids": ids(raw.get("offices")), "custom_fields": custom_fields(raw)}


class JobStages(MergeStream):
    """``GET /ats/v1/job-interview-stages``."""

    name = "job_stages"
    path = "/ats/v1/job-interview-stages"

    def map_record(self, raw: dict) -> dict:
        """Merge job interview stage to the unified columns."""
        return {**self.common(raw), "job_id": related(raw.get("job")).get("id"),
                "name": raw.get("name"),
                "order": raw.get("stage_order"), "active": None}


class Interviews(MergeStream):
    """``GET /ats/v1/interviews`` (ScheduledInterview)."""

    name = "interviews"
    path = "/ats/v1/interviews"
    expand = "application"
    expand_columns = "interviews.job_id"
    expand_models = "Application"

    def map_record(self, raw: dict) -> dict:
        """Merge scheduled interview to the unified columns."""
        status = raw.get("status")
        application = related(raw.get("application"))
        return {**self.common(raw), "application_id": application.get("id"),
                "job_id": application.get("job"),
                "stage_id": related(raw.get("job_interview_stage")).get("id"), "title": None,
                "status": INTERVIEW_STATUS.get(status.upper(), "other") if status else None,
                "status_raw": status, "start_at": ts(raw.get("start_at")),
                "end_at": ts(raw.get("end_at")), "location": raw.get("location"),
                "organizer_id": related(raw.get("organizer")).get("id"),
                "interviewer_ids": ids(raw.get("interviewers"))}


class Candidates(MergeStream):
    """``GET /ats/v1/candidates``."""

    name = "candidates"
    path = "/ats/v1/candidates"

    def map_record(self, raw: dict) -> dict:
        """Merge candidate to the unified columns."""
        return {**self.common(raw), "first_name": raw.get("first_name"),
                "last_name": raw.get("last_name"),
                "emails": [e["value"] for e in raw.get("email_addresses") or []],
                "phones": [p["value"] for p in raw.get("phone_numbers") or []],
                "company": raw.get("company"), "title": raw.get("title"),
                "tags": [str(tag) for tag in raw.get("tags") or []],
                "custom_fields": custom_fields(raw)}


class Users(MergeStream):
    """``GET /ats/v1/users`` (RemoteUser): organizers and interviewers by id."""

    name = "users"
    path = "/ats/v1/users"

    def map_record(self, raw: dict) -> dict:
        """Merge remote user to the unified columns."""
        name = " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p) or None
        disabled = raw.get("disabled")
        return {**self.common(raw), "name": name, "email": raw.get("email"),
                "active": None if disabled is None else not disabled}
