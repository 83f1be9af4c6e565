"""Greenhouse v3 records rendered from the world, and the resources the API lists.

:class:`Renderer` is a mixin of :class:`~.api.GreenhouseAPI`: one method per record
shape, and :meth:`Renderer._resources`, which names each list endpoint's table.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from tap_ats.sandbox.base import iso
from tap_ats.sandbox.greenhouse.tables import (
    ATTRIBUTE_RATING,
    OFFER_STATUS,
    REJECTION_TYPE,
    STATUS,
    STRATEGY,
    VALUE_TYPE,
    Derived,
    FieldOption,
    JobAttribute,
    Rating,
    RejectionDetail,
    gid,
)
from tap_ats.sandbox.world import (
    ATTRIBUTES,
    DISABILITY_STATUSES,
    EEOC_LABELS,
    GENDERS,
    RACES,
    VETERAN_STATUSES,
    Application,
    Candidate,
    CustomFieldDefinition,
    Demographic,
    Department,
    HiringTeamMember,
    Interview,
    Job,
    Offer,
    Office,
    Panelist,
    RejectionReason,
    Scorecard,
    Source,
    Stage,
    Table,
    User,
    Visit,
    World,
)


class Renderer:
    """The v3 shape of each world record (a mixin: the API holds the derived tables)."""

    _derived: dict[int, Derived]
    _derived_lock: threading.Lock

    def derived(self, w: World) -> Derived:
        """The tables and maps the wire format adds to world ``w``, kept current."""
        with self._derived_lock:
            d = self._derived.setdefault(id(w), Derived())
            if not d.fields:
                for f in w.custom_field_definitions:
                    d.fields.setdefault(f.object_type, [])
                    if f.active:
                        d.fields[f.object_type].append(f)
                    for k, name in enumerate(f.options):
                        d.options.append(FieldOption(len(d.options) + 1, f, name, k,
                                                     f.created_at, f.updated_at))
                for job in w.jobs:
                    for k, name in enumerate(ATTRIBUTES):
                        d.attribute_of[job.id, name] = len(d.attributes) + 1
                        d.attributes.append(JobAttribute(len(d.attributes) + 1, job.id, name, k,
                                                         job.created_at, job.created_at))
            if d.scorecards != len(w.scorecards):
                d.scorecards, d.ratings, d.card_of = len(w.scorecards), Table(), {}
                for card in w.scorecards:
                    d.card_of[card.interview_id, card.interviewer_id] = card.id
                    for k, (name, rating) in enumerate(card.ratings):
                        d.ratings.append(Rating(card.id * 10 + k, card,
                                                d.attribute_of[card.job_id, name], rating,
                                                card.created_at, card.updated_at))
            d.details.extend(RejectionDetail(app) for app in w.applications[len(d.details):])
            return d

    def _custom(self, w: World, object_type: str, values: dict[str, Any]) -> dict[str, Any]:
        """``custom_fields`` as v3 keys them: every active field of the object, by ``name_key``."""
        return {f.key: {"name": f.name, "type": VALUE_TYPE.get(f.field_type, f.field_type),
                        "value": values.get(f.key)}
                for f in self.derived(w).fields.get(object_type, [])}

    def _application(self, w: World, a: Application) -> dict[str, Any]:
        """v3's application: no rejection reason (its rejection detail has that).

        ``stage_id`` is the id of its current stage visit (``/v3/application_stages``), not of
        the job's interview stage: only ``stage_name`` names that.
        """
        return {
            "id": gid("application", a.id), "candidate_id": gid("candidate", a.candidate_id),
            "job_id": gid("job", a.job_id), "job_post_id": None, "prospect": False,
            "status": STATUS[a.status], "stage_id": gid("visit", a.current.id),
            "stage_name": w.stage(a.current.stage_id).name, "rejected_at": iso(a.rejected_at),
            "last_activity_at": iso(a.updated_at),
            "source_id": None if a.source_id is None else gid("source", a.source_id),
            "recruiter_id": None, "coordinator_id": None, "referrer_id": None,
            "needs_decision": False, "location_address": None, "agency_note_id": None,
            "prospective_job_ids": [], "answers": [],
            "custom_fields": self._custom(w, "application", a.custom_fields),
            "created_at": iso(a.created_at), "updated_at": iso(a.updated_at),
        }

    @staticmethod
    def _rejection_detail(_w: World, d: RejectionDetail) -> dict[str, Any]:
        a = d.application
        return {
            "id": gid("rejection_detail", a.id), "application_id": gid("application", a.id),
            "rejected_by_id": None, "rejection_note_id": None, "question_custom_fields": {},
            "rejection_reason_id": None if a.rejection_reason_id is None
            else gid("rejection_reason", a.rejection_reason_id),
            "rejected_at": iso(a.rejected_at), "created_at": iso(d.created_at),
            "updated_at": iso(d.updated_at),
        }

    @staticmethod
    def _visit(_w: World, v: Visit) -> dict[str, Any]:
        end = v.exited_at or dt.datetime.now(dt.UTC)
        return {
            "id": gid("visit", v.id), "application_id": gid("application", v.application_id),
            "job_interview_stage_id": gid("stage", v.stage_id), "entered_at": iso(v.entered_at),
            "exited_at": iso(v.exited_at), "current": v.exited_at is None,
            "days_in_stage": (end - v.entered_at).days,
            "created_at": iso(v.created_at), "updated_at": iso(v.updated_at),
        }

    def _job(self, w: World, j: Job) -> dict[str, Any]:
        return {
            "id": gid("job", j.id), "name": j.name, "requisition_id": j.code, "notes": None,
            "confidential": False, "status": j.status, "opened_at": iso(j.opened_at),
            "closed_at": iso(j.closed_at), "is_template": False, "copied_from_id": None,
            "department_id": None if j.department_id is None
            else gid("department", j.department_id),
            "office_ids": [gid("office", o) for o in j.office_ids],
            "custom_fields": self._custom(w, "job", j.custom_fields),
            "created_at": iso(j.created_at), "updated_at": iso(j.updated_at),
        }

    @staticmethod
    def _stage(_w: World, s: Stage) -> dict[str, Any]:
        return {"id": gid("stage", s.id), "job_id": gid("job", s.job_id), "name": s.name,
                "sort_order": s.order, "active": s.active, "created_at": iso(s.created_at),
                "updated_at": iso(s.updated_at)}

    @staticmethod
    def _interview(_w: World, i: Interview) -> dict[str, Any]:
        return {
            "id": gid("interview", i.id), "job_id": gid("job", i.job_id),
            "application_id": gid("application", i.application_id),
            "job_interview_id": gid("job_interview", i.stage_id),
            "starts_at": iso(i.start_at), "ends_at": iso(i.end_at), "all_day_start_on": None,
            "all_day_end_on": None, "location": i.location, "status": i.status,
            "organizer_id": gid("user", i.organizer_id), "scheduled_at": iso(i.created_at),
            "availability_received_at": iso(i.created_at),
            "video_conferencing_url": None, "external_event_id": None,
            "created_at": iso(i.created_at), "updated_at": iso(i.updated_at),
        }

    @staticmethod
    def _job_interview(_w: World, s: Stage) -> dict[str, Any]:
        return {"id": gid("job_interview", s.id), "job_id": gid("job", s.job_id),
                "job_interview_stage_id": gid("stage", s.id), "name": f"{s.name} panel",
                "sort_order": 0, "scheduling_type": "needs_scheduling", "duration": 60,
                "active": s.active, "require_scorecard": True, "instructions": None,
                "summary": None, "created_at": iso(s.created_at),
                "updated_at": iso(s.updated_at)}

    def _panelist(self, w: World, p: Panelist) -> dict[str, Any]:
        card = self.derived(w).card_of.get((p.interview_id, p.user_id))
        return {"id": gid("panelist", p.id), "interview_id": gid("interview", p.interview_id),
                "user_id": gid("user", p.user_id),
                "scorecard_id": None if card is None else gid("scorecard", card),
                "email": w.user(p.user_id).email, "response_status": "accepted",
                "created_at": iso(p.created_at), "updated_at": iso(p.updated_at)}

    @staticmethod
    def _user(_w: World, u: User) -> dict[str, Any]:
        return {"id": gid("user", u.id), "name": f"{u.first_name} {u.last_name}",
                "first_name": u.first_name, "last_name": u.last_name,
                "primary_email": u.email, "emails": [u.email],
                "deactivated": not u.active, "site_admin": u.id == 1, "job_title": None,
                "agency_id": None, "employee_id": None, "linked_candidate_ids": [],
                "office_ids": [], "department_ids": [], "interviewer_tags": [],
                "custom_fields": {},
                "created_at": iso(u.created_at), "updated_at": iso(u.updated_at)}

    def _candidate(self, w: World, c: Candidate) -> dict[str, Any]:
        return {
            "id": gid("candidate", c.id), "first_name": c.first_name, "last_name": c.last_name,
            "preferred_name": None, "company": c.company, "title": c.title, "private": False,
            "can_email": True, "tags": list(c.tags), "linked_user_ids": [], "time_zone": None,
            "email_addresses": [{"value": c.email, "type": "personal"}],
            "phone_numbers": [{"value": c.phone, "type": "mobile"}], "addresses": [],
            "website_addresses": [], "social_media_addresses": [],
            "custom_fields": self._custom(w, "candidate", c.custom_fields),
            "last_activity_at": iso(c.updated_at), "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
        }

    def _offer(self, w: World, o: Offer) -> dict[str, Any]:
        return {
            "id": gid("offer", o.id), "version": o.version,
            "application_id": gid("application", o.application_id),
            "job_id": gid("job", o.job_id), "candidate_id": gid("candidate", o.candidate_id),
            "opening_id": None, "status": OFFER_STATUS[o.status],
            "sent_on": None if o.sent_at is None else o.sent_at.date().isoformat(),
            "starts_on": o.starts_at.isoformat(), "resolved_at": iso(o.resolved_at),
            "custom_fields": self._custom(w, "offer", o.custom_fields),
            "created_at": iso(o.created_at), "updated_at": iso(o.updated_at),
        }

    @staticmethod
    def _department(_w: World, d: Department) -> dict[str, Any]:
        return {"id": gid("department", d.id), "name": d.name,
                "parent_id": None if d.parent_id is None else gid("department", d.parent_id),
                "external_id": d.external_id, "created_at": iso(d.created_at),
                "updated_at": iso(d.updated_at)}

    @staticmethod
    def _office(_w: World, o: Office) -> dict[str, Any]:
        return {"id": gid("office", o.id), "name": o.name,
                "parent_id": None if o.parent_id is None else gid("office", o.parent_id),
                "location": o.location, "external_id": o.external_id,
                "primary_in_house_contact_user_id": None, "created_at": iso(o.created_at),
                "updated_at": iso(o.updated_at)}

    @staticmethod
    def _source(_w: World, s: Source) -> dict[str, Any]:
        strategy, name = STRATEGY[s.type]
        return {"id": gid("source", s.id), "name": s.name,
                "type": {"id": strategy, "name": name}, "created_at": iso(s.created_at),
                "updated_at": iso(s.updated_at)}

    @staticmethod
    def _rejection_reason(_w: World, r: RejectionReason) -> dict[str, Any]:
        kind, key, name = REJECTION_TYPE[r.type]
        return {"id": gid("rejection_reason", r.id), "name": r.name,
                "type": {"id": kind, "key": key, "name": name}, "created_at": iso(r.created_at),
                "updated_at": iso(r.updated_at)}

    @staticmethod
    def _hiring_manager(_w: World, m: HiringTeamMember) -> dict[str, Any]:
        return {"id": gid("hiring_team", m.id), "job_id": gid("job", m.job_id),
                "user_id": gid("user", m.user_id), "created_at": iso(m.created_at),
                "updated_at": iso(m.updated_at)}

    @staticmethod
    def _job_owner(_w: World, m: HiringTeamMember) -> dict[str, Any]:
        return {"id": gid("hiring_team", m.id), "job_id": gid("job", m.job_id),
                "user_id": gid("user", m.user_id), "type": m.role,
                "responsible": m.role in ("recruiter", "coordinator"),
                "created_at": iso(m.created_at), "updated_at": iso(m.updated_at)}

    @staticmethod
    def _scorecard(w: World, c: Scorecard) -> dict[str, Any]:
        interview = w.interviews.get(c.interview_id)
        return {
            "id": gid("scorecard", c.id), "application_id": gid("application", c.application_id),
            "interview_kit_id": gid("interview_kit", interview.stage_id),
            "interviewer_id": gid("user", c.interviewer_id),
            "submitter_id": gid("user", c.interviewer_id),
            "candidate_rating": c.overall_recommendation, "status": "complete",
            "interviewed_at": iso(interview.start_at), "submitted_at": iso(c.submitted_at),
            "notes": c.notes, "notes_with_tags": c.notes, "private_notes": None,
            "private_notes_with_tags": None, "public_notes": None,
            "public_notes_with_tags": None, "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
        }

    @staticmethod
    def _rating(_w: World, r: Rating) -> dict[str, Any]:
        word = ATTRIBUTE_RATING.get(r.rating, r.rating)
        return {"id": gid("rating", r.id), "scorecard_id": gid("scorecard", r.scorecard.id),
                "job_candidate_attribute_id": gid("job_attribute", r.attribute_id),
                "candidate_attribute_rating": word, "note": None,
                "created_at": iso(r.created_at), "updated_at": iso(r.updated_at)}

    @staticmethod
    def _job_attribute(_w: World, a: JobAttribute) -> dict[str, Any]:
        return {"id": gid("job_attribute", a.id), "name": a.name,
                "candidate_attribute_type_id": None, "job_id": gid("job", a.job_id),
                "active": True, "sort_order": a.sort_order, "created_at": iso(a.created_at),
                "updated_at": iso(a.updated_at)}

    @staticmethod
    def _eeoc(_w: World, d: Demographic) -> dict[str, Any]:
        def answer(value: str, choices: list[str]) -> dict[str, Any]:
            return {"id": choices.index(value) + 1, "description": EEOC_LABELS[value]}

        return {"id": gid("demographic", d.id),
                "application_id": gid("application", d.application_id),
                "candidate_id": gid("candidate", d.candidate_id),
                "race": answer(d.race, RACES), "gender": answer(d.gender, GENDERS),
                "veteran_status": answer(d.veteran_status, VETERAN_STATUSES),
                "disability_status": answer(d.disability_status, DISABILITY_STATUSES),
                "submitted_at": iso(d.submitted_at), "created_at": iso(d.created_at),
                "updated_at": iso(d.updated_at)}

    @staticmethod
    def _custom_field(_w: World, f: CustomFieldDefinition) -> dict[str, Any]:
        return {"id": gid("custom_field", f.id), "field_type": f.object_type, "name": f.name,
                "name_key": f.key, "value_type": VALUE_TYPE.get(f.field_type, f.field_type),
                "active": f.active, "private": False, "required": False, "internal_type": None,
                "api_only": False, "application_type": None, "default_value": None,
                "description": None, "expose_in_job_board_api": False, "placeholder": None,
                "require_approval": False, "sort_order": f.id, "template_token_string": None,
                "trigger_new_version": False, "updated_by_id": None,
                "use_for_job_approvals": False, "use_for_offer_approvals": False,
                "created_at": iso(f.created_at), "updated_at": iso(f.updated_at)}

    @staticmethod
    def _field_option(_w: World, o: FieldOption) -> dict[str, Any]:
        return {"id": gid("field_option", o.id), "custom_field_id": gid("custom_field", o.field.id),
                "name": o.name, "sort_order": o.sort_order, "active": True, "external_id": None,
                "created_at": iso(o.created_at), "updated_at": iso(o.updated_at)}

    def _resources(self, w: World) -> dict[str, tuple[str, Any, Any, Callable[[Any], bool]]]:
        """Per resource: id kind, table, renderer, and whether a record is live (not deleted)."""
        def live_app(app_id: int) -> bool:
            app = w.applications.get(app_id)
            return app is not None and app.deleted_at is None

        def alive(r: Any) -> bool:
            return r.deleted_at is None

        derived = self.derived(w)
        return {
            "applications": ("application", w.applications, self._application, alive),
            "rejection_details": ("rejection_detail", derived.details, self._rejection_detail,
                                  lambda d: d.application.deleted_at is None
                                  and d.application.status == "rejected"),
            "application_stages": ("visit", w.visits, self._visit,
                                   lambda r: live_app(r.application_id)),
            "jobs": ("job", w.jobs, self._job, alive),
            "job_interview_stages": ("stage", w.stages, self._stage, lambda _r: True),
            "interviews": ("interview", w.interviews, self._interview,
                           lambda r: r.deleted_at is None and live_app(r.application_id)),
            "candidates": ("candidate", w.candidates, self._candidate, alive),
            "job_interviews": ("job_interview", w.stages, self._job_interview, lambda _r: True),
            "interviewers": ("panelist", w.panel, self._panelist, lambda _r: True),
            "users": ("user", w.people, self._user, lambda _r: True),
            "offers": ("offer", w.offers, self._offer, alive),
            "departments": ("department", w.departments, self._department, lambda _r: True),
            "offices": ("office", w.offices, self._office, lambda _r: True),
            "sources": ("source", w.sources, self._source, lambda _r: True),
            "rejection_reasons": ("rejection_reason", w.rejection_reasons,
                                  self._rejection_reason, lambda _r: True),
            "job_hiring_managers": ("hiring_team", w.hiring_team, self._hiring_manager,
                                    lambda r: r.role == "hiring_manager"),
            "job_owners": ("hiring_team", w.hiring_team, self._job_owner,
                           lambda r: r.role != "hiring_manager"),
            "scorecards": ("scorecard", w.scorecards, self._scorecard, alive),
            "scorecard_candidate_attributes": ("rating", derived.ratings, self._rating,
                                               lambda r: r.scorecard.deleted_at is None),
            "job_candidate_attributes": ("job_attribute", derived.attributes,
                                         self._job_attribute, lambda _r: True),
            "eeoc": ("demographic", w.demographics, self._eeoc, alive),
            "custom_fields": ("custom_field", w.custom_field_definitions, self._custom_field,
                              lambda _r: True),
            "custom_field_options": ("field_option", derived.options, self._field_option,
                                     lambda _r: True),
        }
