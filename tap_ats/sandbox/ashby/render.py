"""The world's records as Ashby's API shapes them (developers.ashbyhq.com, the ``x.list`` answers).

Ids are UUIDs, as Ashby's are: :func:`aid` derives a stable one from the record's kind and world
id. Each job has its own interview plan whose stages are the job's stages. What the world has
and Ashby's objects lack (an interview's title, an offer's sent time) is not rendered. A
scorecard is an ``applicationFeedback.list`` submission of one form: its overall recommendation
a ValueSelect field (as Ashby's example shows it), each rated attribute a Score field, its notes
a RichText field.
"""

from __future__ import annotations

from typing import Any

from tap_ats.sandbox.base import iso
from tap_ats.sandbox.vocabulary import ATTRIBUTES
from tap_ats.sandbox.world import (
    Application,
    Candidate,
    CustomFieldDefinition,
    HiringTeamMember,
    Interview,
    Job,
    Offer,
    Scorecard,
    User,
    World,
)

#: A code per kind of record: the first group of its ids.
_KINDS = {kind: n for n, kind in enumerate(
    ("application", "candidate", "job", "stage", "plan", "source", "source_type",
     "archive_reason", "department", "location", "user", "custom_field", "schedule", "event",
     "interview", "offer", "offer_version", "tag", "history", "feedback", "feedback_form",
     "feedback_field"), start=0xA5B0)}

APPLICATION_STATUS = {"active": "Active", "hired": "Hired", "rejected": "Archived"}
JOB_STATUS = {"open": "Open", "closed": "Closed", "draft": "Draft", "archived": "Archived"}
INTERVIEW_STATUS = {"scheduled": "Scheduled", "complete": "Complete", "canceled": "Cancelled",
                    "awaiting_feedback": "WaitingOnFeedback"}
#: The world's offer status -> Ashby's (offerStatus, acceptanceStatus).
OFFER_STATUS = {"draft": ("WaitingOnApprovalStart", "Created"),
                "sent": ("WaitingOnCandidateResponse", "WaitingOnResponse"),
                "accepted": ("CandidateAccepted", "Accepted"),
                "declined": ("CandidateRejected", "Declined"),
                "deprecated": ("OfferCancelled", "Cancelled")}
REASON_TYPE = {"we_rejected": "RejectedByOrg", "candidate_withdrew": "RejectedByCandidate"}
FIELD_TYPE = {"short_text": "String", "single_select": "ValueSelect", "number": "Number",
              "date": "Date", "boolean": "Boolean"}
ROLE = {"hiring_manager": "Hiring Manager", "recruiter": "Recruiter",
        "coordinator": "Recruiting Coordinator", "sourcer": "Sourcer"}
#: The options of the feedback form's overall recommendation (label, value), per world
#: recommendation; "no_decision" leaves the field unanswered.
VERDICT = {"strong_yes": ("Strong Hire", "strong_hire"), "yes": ("Hire", "hire"),
           "no": ("No Hire", "no_hire"), "strong_no": ("Strong No Hire", "strong_no_hire")}
#: The world's attribute ratings as Ashby's 1 to 4 scores (a string, as Ashby's example shows a
#: submitted score); "mixed" has no score of its own: the field is left unanswered.
SCORE = {"strong_yes": "4", "yes": "3", "no": "2", "strong_no": "1"}


def aid(kind: str, n: int) -> str:
    """The Ashby id (a UUID, version 4 in form) of world record ``n`` of ``kind``.

    The same on every run, and cheap: the sandbox renders about ten per application.
    """
    return f"{_KINDS[kind]:08x}-5a5b-4c1d-8e2f-{n:012x}"


def number(kind: str, value: object) -> int | None:
    """The world id behind an Ashby id of ``kind`` (:func:`aid` read back), else None."""
    try:
        n = int(str(value).rpartition("-")[2], 16)
    except ValueError:
        return None
    return n if n >= 0 and str(value) == aid(kind, n) else None


def custom_fields(w: World, object_type: str, values: dict[str, object]) -> list[dict[str, Any]]:
    """Ashby's ``customFields`` array: one ``{id, title, value}`` per field with a value."""
    defs = {d.key: d for d in w.custom_field_definitions if d.object_type == object_type}
    return [{"id": aid("custom_field", defs[k].id), "title": defs[k].name, "value": v,
             "isPrivate": False} for k, v in values.items()]


def stage(w: World, stage_id: int) -> dict[str, Any]:
    """An interview stage: the first screens, the last is the offer, the rest interview."""
    s = w.stage(stage_id)
    last = len(w.job(s.job_id).stages) - 1
    kind = "PreInterviewScreen" if s.order == 0 else "Offer" if s.order == last else "Active"
    return {"id": aid("stage", s.id), "title": s.name, "type": kind,
            "orderInInterviewPlan": s.order, "interviewStageGroupId": None,
            "interviewPlanId": aid("plan", s.job_id)}


def application(w: World, a: Application) -> dict[str, Any]:
    """``application.list``: the candidate, job, stage, source and archive reason nested."""
    c, j = w.candidates.get(a.candidate_id), w.job(a.job_id)
    src = w.sources.get(a.source_id)
    reason = w.rejection_reasons.get(a.rejection_reason_id) if a.rejection_reason_id else None
    return {
        "id": aid("application", a.id), "createdAt": iso(a.created_at),
        "updatedAt": iso(a.updated_at), "status": APPLICATION_STATUS[a.status],
        "customFields": custom_fields(w, "application", a.custom_fields),
        "candidate": {"id": aid("candidate", c.id), "name": f"{c.first_name} {c.last_name}",
                      "primaryEmailAddress": {"value": c.email, "type": "Personal",
                                              "isPrimary": True},
                      "primaryPhoneNumber": {"value": c.phone, "type": "Mobile",
                                             "isPrimary": True}},
        "currentInterviewStage": stage(w, a.current.stage_id),
        "source": {"id": aid("source", src.id), "title": src.name, "isArchived": False,
                   "sourceType": {"id": aid("source_type", src.id), "title": src.type,
                                  "isArchived": False}},
        "archiveReason": None if reason is None else {
            "id": aid("archive_reason", reason.id), "text": reason.name,
            "reasonType": REASON_TYPE[reason.type], "isArchived": False},
        "archivedAt": iso(a.rejected_at),
        "job": {"id": aid("job", j.id), "title": j.name,
                "locationId": aid("location", j.office_ids[0]) if j.office_ids else None,
                "departmentId": aid("department", j.department_id)},
        "creditedToUser": None, "hiringTeam": [], "appliedViaJobPostingId": None,
    }


def history(w: World, a: Application) -> list[dict[str, Any]]:
    """``application.listHistory``: one event per stay in a stage, ``stageNumber`` 0 first.

    ``leftStageAt`` is null on the stay the application is in now (the highest number).
    """
    return [{"id": aid("history", v.id), "stageId": aid("stage", v.stage_id),
             "title": w.stage(v.stage_id).name, "enteredStageAt": iso(v.entered_at),
             "leftStageAt": iso(v.exited_at), "stageNumber": n,
             "allowedActions": ["delete", "set_entered_at"], "actorId": aid("user", v.updated_by)}
            for n, v in enumerate(a.visits)]


def job(w: World, j: Job, team: list[HiringTeamMember]) -> dict[str, Any]:
    """``job.list``: status, plan, location, department and hiring team (``team``)."""
    return {
        "id": aid("job", j.id), "title": j.name, "confidential": False,
        "status": JOB_STATUS[j.status], "employmentType": "FullTime",
        "locationId": aid("location", j.office_ids[0]) if j.office_ids else None,
        "secondaryLocationIds": [aid("location", o) for o in j.office_ids[1:]],
        "departmentId": aid("department", j.department_id),
        "defaultInterviewPlanId": aid("plan", j.id), "interviewPlanIds": [aid("plan", j.id)],
        "customFields": custom_fields(w, "job", j.custom_fields), "jobPostingIds": [],
        "customRequisitionId": j.code,
        "hiringTeam": [{"userId": aid("user", m.user_id), "role": ROLE[m.role],
                        "firstName": w.user(m.user_id).first_name,
                        "lastName": w.user(m.user_id).last_name,
                        "email": w.user(m.user_id).email} for m in team],
        "createdAt": iso(j.created_at), "updatedAt": iso(j.updated_at),
        "openedAt": iso(j.opened_at), "closedAt": iso(j.closed_at),
    }


def candidate(w: World, c: Candidate, applications: list[int]) -> dict[str, Any]:
    """``candidate.list``: one ``name``, emails and phones as contact objects, tags."""
    email = {"value": c.email, "type": "Personal", "isPrimary": True}
    phone = {"value": c.phone, "type": "Mobile", "isPrimary": True}
    return {
        "id": aid("candidate", c.id), "createdAt": iso(c.created_at),
        "updatedAt": iso(c.updated_at), "name": f"{c.first_name} {c.last_name}",
        "primaryEmailAddress": email, "emailAddresses": [email],
        "primaryPhoneNumber": phone, "phoneNumbers": [phone], "socialLinks": [],
        "tags": [{"id": aid("tag", sum(map(ord, t))), "title": t, "isArchived": False}
                 for t in c.tags],
        "position": c.title, "company": c.company, "school": None,
        "applicationIds": [aid("application", a) for a in applications],
        "customFields": custom_fields(w, "candidate", c.custom_fields),
        "profileUrl": f"https://app.ashbyhq.com/candidates/{aid('candidate', c.id)}",
    }


def user(u: User) -> dict[str, Any]:
    """``user.list``."""
    return {"id": aid("user", u.id), "firstName": u.first_name, "lastName": u.last_name,
            "email": u.email, "globalRole": "Interviewer", "isEnabled": u.active,
            "updatedAt": iso(u.updated_at)}


def schedule(w: World, i: Interview) -> dict[str, Any]:
    """``interviewSchedule.list``: one schedule holding the interview as its one event."""
    return {
        "id": aid("schedule", i.id), "status": INTERVIEW_STATUS.get(i.status, i.status),
        "applicationId": aid("application", i.application_id),
        "interviewStageId": aid("stage", i.stage_id),
        "interviewEvents": [{
            "id": aid("event", i.id), "interviewId": aid("interview", i.stage_id),
            "interviewScheduleId": aid("schedule", i.id),
            "interviewerUserIds": [aid("user", u) for u in i.interviewer_ids],
            "createdAt": iso(i.created_at), "updatedAt": iso(i.updated_at),
            "startTime": iso(i.start_at), "endTime": iso(i.end_at), "location": i.location,
            "meetingLink": None, "hasSubmittedFeedback": i.status == "complete"}],
        "createdAt": iso(i.created_at), "updatedAt": iso(i.updated_at),
    }


def offer(w: World, versions: list[Offer]) -> dict[str, Any]:
    """``offer.list``: one offer per application, its state that of its latest version."""
    first, last = versions[0], versions[-1]
    status, acceptance = OFFER_STATUS[last.status]
    return {
        "id": aid("offer", first.id), "decidedAt": iso(last.resolved_at),
        "applicationId": aid("application", last.application_id),
        "acceptanceStatus": acceptance, "offerStatus": status,
        "latestVersion": {
            "id": aid("offer_version", last.id), "startDate": last.starts_at.isoformat(),
            "salary": None, "createdAt": iso(last.created_at), "openingId": None,
            "customFields": custom_fields(w, "offer", last.custom_fields), "fileHandles": [],
            "author": None, "approvalStatus": None},
    }


def _field(n: int, kind: str, path: str, title: str, **more: Any) -> dict[str, Any]:
    """One field of the feedback form (``formDefinition.sections[].fields[]``)."""
    return {"isRequired": False, "field": {
        "id": aid("feedback_field", n), "type": kind, "path": path, "title": title,
        "humanReadablePath": title, "isNullable": True, **more}}


def feedback(w: World, sc: Scorecard) -> dict[str, Any]:
    """``applicationFeedback.list``: the submitted form, its values keyed by field path."""
    i, app = w.interviews.get(sc.interview_id), w.applications.get(sc.application_id)
    options = [{"label": label, "value": value} for label, value in VERDICT.values()]
    fields = [_field(0, "ValueSelect", "overall_recommendation", "Overall Recommendation",
                     selectableValues=options)]
    values: dict[str, Any] = {}
    if sc.overall_recommendation in VERDICT:
        values["overall_recommendation"] = VERDICT[sc.overall_recommendation][1]
    for name, rating in sc.ratings:
        path = name.lower().replace(" ", "_")
        fields.append(_field(2 + ATTRIBUTES.index(name), "Score", path, name))
        if rating in SCORE:
            values[path] = SCORE[rating]
    fields.append(_field(1, "RichText", "notes", "Notes"))
    if sc.notes:
        values["notes"] = sc.notes
    return {
        "id": aid("feedback", sc.id),
        "formDefinition": {"sections": [{"title": "Interview feedback", "fields": fields}]},
        "submittedValues": values, "submittedByUser": user(w.user(sc.interviewer_id)),
        "interviewId": aid("interview", i.stage_id), "interviewEventId": aid("event", i.id),
        "feedbackFormDefinitionId": aid("feedback_form", i.job_id),
        "applicationHistoryId": next((aid("history", v.id) for v in app.visits
                                      if v.stage_id == i.stage_id), None),
        "applicationId": aid("application", sc.application_id),
        "submittedAt": iso(sc.submitted_at),
    }


def definition(d: CustomFieldDefinition) -> dict[str, Any]:
    """``customField.list``."""
    return {"id": aid("custom_field", d.id), "isPrivate": False, "title": d.name,
            "objectType": d.object_type.capitalize(), "isArchived": not d.active,
            "fieldType": FIELD_TYPE[d.field_type],
            "selectableValues": [{"label": o, "value": o, "isArchived": False}
                                 for o in d.options]}


def reference(w: World) -> dict[str, list[dict[str, Any]]]:
    """The un-paged lists: departments, locations, sources and archive reasons."""
    return {
        "department.list": [{
            "id": aid("department", d.id), "name": d.name, "externalName": None,
            "isArchived": False,
            "parentId": aid("department", d.parent_id) if d.parent_id else None,
            "createdAt": iso(d.created_at), "updatedAt": iso(d.updated_at)}
            for d in w.departments],
        "location.list": [{
            "id": aid("location", o.id), "name": o.name, "externalName": None,
            "isArchived": False, "isRemote": o.name == "Remote",
            "parentLocationId": aid("location", o.parent_id) if o.parent_id else None,
            "type": "Location" if o.location else "LocationHierarchy",
            "address": {"postalAddress": {"addressLocality": o.location, "addressRegion": None,
                                          "addressCountry": None}} if o.location else None}
            for o in w.offices],
        "source.list": [{
            "id": aid("source", s.id), "title": s.name, "isArchived": False,
            "sourceType": {"id": aid("source_type", s.id), "title": s.type,
                           "isArchived": False}} for s in w.sources],
        "archiveReason.list": [{
            "id": aid("archive_reason", r.id), "text": r.name,
            "reasonType": REASON_TYPE[r.type], "isArchived": False}
            for r in w.rejection_reasons],
    }
