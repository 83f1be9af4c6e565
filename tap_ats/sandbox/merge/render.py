"""Merge's Common Models rendered from the sandbox world, as Merge's ATS API serves them.

:class:`MergeRecords` turns one world record into the object Merge's list endpoints answer (ids
as Merge UUIDs from :func:`mid`, related objects as ids unless ``expand`` names them); the
request handling lives in :mod:`.api`, the ground truth in :mod:`.truth`.
"""

from __future__ import annotations

import datetime as dt
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from tap_ats.sandbox.base import iso
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
#: Merge's Common Model behind each list endpoint, as its scopes name them.
MODELS = {"applications": "Application", "jobs": "Job", "job-interview-stages": "JobInterviewStage",
          "interviews": "ScheduledInterview", "candidates": "Candidate", "users": "RemoteUser",
          "offers": "Offer", "departments": "Department", "offices": "Office",
          "reject-reasons": "RejectReason", "scorecards": "Scorecard", "eeocs": "EEOC"}
#: Per list endpoint, every relation Merge's ``expand`` takes (its SDK's enums): the world
#: table of the related records, the method rendering one, and the related id or ids of a record.
#: None: the sandbox serves that relation null or empty, so expanding it changes nothing.
Relation = tuple[str, str, Callable[[World, Any], Any]] | None
RELATIONS: dict[str, dict[str, Relation]] = {
    "applications": {
        "candidate": ("candidates", "_candidate", lambda w, a: a.candidate_id),
        "job": ("jobs", "_job", lambda w, a: a.job_id),
        "current_stage": ("stages", "_stage", lambda w, a: a.current.stage_id),
        "reject_reason": ("rejection_reasons", "_reject_reason",
                          lambda w, a: a.rejection_reason_id),
        "offers": ("offers", "_offer", lambda w, a: [o.id for o in a.offers]),
        "credited_to": None, "screening_question_answers": None,
        "screening_question_answers.question": None},
    "jobs": {
        "departments": ("departments", "_department",
                        lambda w, j: [j.department_id] if j.department_id else []),
        "offices": ("offices", "_office", lambda w, j: j.office_ids),
        "hiring_managers": ("people", "_user", lambda w, j: _members(w, j, "hiring_manager")),
        "recruiters": ("people", "_user", lambda w, j: _members(w, j, "recruiter")),
        "job_postings": None},
    "job-interview-stages": {"job": ("jobs", "_job", lambda w, s: s.job_id)},
    "interviews": {
        "application": ("applications", "_application", lambda w, i: i.application_id),
        "job_interview_stage": ("stages", "_stage", lambda w, i: i.stage_id),
        "organizer": ("people", "_user", lambda w, i: i.organizer_id),
        "interviewers": ("people", "_user", lambda w, i: i.interviewer_ids)},
    "candidates": {"applications": None, "attachments": None},
    "offers": {"application": ("applications", "_application", lambda w, o: o.application_id),
               "creator": None},
    "scorecards": {
        "application": ("applications", "_application", lambda w, c: c.application_id),
        "interview": ("interviews", "_interview", lambda w, c: c.interview_id),
        "interviewer": ("people", "_user", lambda w, c: c.interviewer_id)},
    "eeocs": {"candidate": ("candidates", "_candidate", lambda w, e: e.candidate_id)},
}


def mid(kind: str, n: int, account: str) -> str:
    """A Merge-style UUID, distinct per account, kind and number."""
    return str(uuid.UUID(int=(int(account[:8], 16) << 96) | (KINDS[kind] << 64) | n))



class MergeRecords:
    """The rendering half of the Merge API: one method per Common Model."""

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
                "rejected_at": iso(a.rejected_at),
                "offers": [mid("offer", o.id, acct) for o in a.offers], "source": a.source,
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
                "status": offer_status(o), "field_mappings": self._field_mappings(o.custom_fields)}

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
        for relation in relations:
            if (how := RELATIONS[model].get(relation)) is None:
                continue
            table, method, related = how
            rows, render, value = getattr(w, table), getattr(self, method), related(w, record)
            if isinstance(value, list):
                rendered[relation] = [render(w, rows.get(v), acct) for v in value]
            elif value is not None:
                rendered[relation] = render(w, rows.get(value), acct)

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


_TEAMS: weakref.WeakKeyDictionary[World, dict[int, list[HiringTeamMember]]] = (
    weakref.WeakKeyDictionary())


def _members(w: World, j: Job, role: str) -> list[int]:
    """The user ids of one role on a job's hiring team."""
    return [m.user_id for m in _teams(w).get(j.id, []) if m.role == role]


def _teams(w: World) -> dict[int, list[HiringTeamMember]]:
    """The world's hiring team by job, indexed once (teams are fixed when a world is made)."""
    if w not in _TEAMS:
        index: dict[int, list[HiringTeamMember]] = {}
        for member in w.hiring_team:
            index.setdefault(member.job_id, []).append(member)
        _TEAMS[w] = index
    return _TEAMS[w]


def offer_status(o: Offer) -> str:
    """Merge's enum for a world offer; drafts and sent offers spread over Merge's finer values."""
    if o.status == "draft" and o.id % 2 == 0:
        return "APPROVED"
    if o.status == "sent":
        return SENT_VARIANTS[o.id % len(SENT_VARIANTS)]
    return OFFER_STATUS[o.status]


def related_id(value: Any) -> Any:
    """The id of a related object, expanded or not."""
    return value["id"] if isinstance(value, dict) else value
