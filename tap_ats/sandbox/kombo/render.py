"""Kombo's objects rendered from the sandbox world, as Kombo's unified ATS API serves them.

:class:`KomboRecords` turns one world record into the object Kombo's list endpoints answer (ids
from :func:`kid`, related objects embedded as Kombo's models require them); the request handling
lives in :mod:`.api`, the ground truth in :mod:`.truth`.
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

from tap_ats.sandbox.base import iso
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
#: The world tables rendered inside another record, and the attribute naming that record.
GROUPED_BY = {"hiring_team": "job_id", "interviews": "application_id"}


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


def people(cand: Candidate, job: Job) -> dict[str, Any]:
    """The candidate and job an interview's or offer's embedded application names."""
    return {"candidate": {"id": kid("candidate", cand.id), "remote_id": str(cand.id),
                          "first_name": cand.first_name, "last_name": cand.last_name,
                          "email_addresses": [{"email_address": cand.email, "type": "PRIVATE"}]},
            "job": {"id": kid("job", job.id), "remote_id": str(job.id), "name": job.name}}


class KomboRecords:
    """The rendering half of the Kombo API: one method per entity it lists."""

    #: Set up by :class:`~tap_ats.sandbox.kombo.api.KomboAPI` (annotation only): the rows
    #: :meth:`_grouped` regroups, kept per world and table.
    _groups: dict[tuple[int, str], tuple[World, int, dict[int, list[Any]]]]

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
                **people(cand, job)},
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
            "application": people(cand, job),
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
