"""Lever's objects rendered from the sandbox world, as Lever's API v1 serves them.

:class:`LeverRecords` turns one world record into the object Lever's endpoints answer: ids are
UUIDs from :func:`lid`, times are milliseconds since the epoch (:func:`ms`). A world application
is one opportunity (a candidate's contact on one posting) with one Lever application; Lever's
pipeline stages belong to the account, not to a posting, so every job's stage of the same order
is the one account stage (:func:`stage_id`). Archive reasons are the world's rejection reasons
plus "Hired", the one every Lever account has. The request handling lives in :mod:`.api`, the
ground truth in :mod:`.truth`.
"""

from __future__ import annotations

import datetime as dt
import uuid
import weakref
from typing import Any

from tap_ats.sandbox.world import (
    STAGE_NAMES,
    Application,
    Interview,
    Job,
    Offer,
    RejectionReason,
    Scorecard,
    User,
    World,
)

KINDS = {"opportunity": 1, "contact": 2, "posting": 3, "stage": 4, "interview": 5, "user": 6,
         "archive_reason": 7, "offer": 8, "feedback": 9, "application": 10, "panel": 11}
#: The archive reason every Lever account has; its number is past the world's reasons.
HIRED = 1000
POSTING_STATE = {"open": "published", "closed": "closed", "draft": "draft"}
#: Offer statuses per world status. Lever keeps no superseded offer version, so a world offer
#: that was deprecated is not served (:func:`served_offers`).
OFFER_STATUS = {"draft": "draft", "sent": "sent", "accepted": "signed", "declined": "denied"}
#: The overall rating of Lever's feedback forms (a score-system field), per world
#: recommendation; "no decision" leaves the field unanswered.
RATING = {"strong_yes": "4 - Strong Hire", "yes": "3 - Hire", "no": "2 - No Hire",
          "strong_no": "1 - Strong No Hire", "no_decision": None}
#: Every this-many-th posting and its opportunities are confidential.
CONFIDENTIAL_EVERY = 4


def lid(kind: str, n: int) -> str:
    """A Lever-style UUID, distinct per kind and number."""
    return str(uuid.UUID(int=(0x1E7E << 112) | (KINDS[kind] << 64) | n))


def ms(t: dt.datetime | None) -> int | None:
    """Milliseconds since the epoch, as Lever sends every time."""
    return None if t is None else int(t.timestamp() * 1000)


def stage_id(order: int) -> str:
    """The account stage of this order (Lever's stages are the account's, not a posting's)."""
    return lid("stage", order + 1)


def confidential(job_id: int) -> bool:
    """Whether a posting (and so its opportunities) is confidential."""
    return job_id % CONFIDENTIAL_EVERY == 0


def hired_at(a: Application) -> dt.datetime | None:
    """When a hired application was archived as Hired: its accepted offer's resolution."""
    if a.status != "hired":
        return None
    return next((o.resolved_at for o in reversed(a.offers) if o.status == "accepted"),
                a.updated_at)


def served_offers(a: Application) -> list[Offer]:
    """The offers Lever shows on an opportunity: every version but the superseded ones."""
    return [o for o in a.offers if o.status in OFFER_STATUS]


_INDEX: weakref.WeakKeyDictionary[World, dict[str, tuple[int, dict[int, list[Any]]]]] = (
    weakref.WeakKeyDictionary())


def by_application(w: World, table: str) -> dict[int, list[Any]]:
    """The records of ``table`` (interviews, scorecards) by application id, kept per size."""
    rows = getattr(w, table)
    cached = _INDEX.setdefault(w, {}).get(table)
    if cached is None or cached[0] != len(rows):
        index: dict[int, list[Any]] = {}
        for r in rows:
            index.setdefault(r.application_id, []).append(r)
        cached = _INDEX[w][table] = (len(rows), index)
    return cached[1]


class LeverRecords:
    """The rendering half of the Lever API: one method per object."""

    @staticmethod
    def _opportunity(w: World, a: Application, expand: set[str]) -> dict[str, Any]:
        c = w.candidates.get(a.candidate_id)
        stage = w.stage(a.current.stage_id)
        archived = None
        if a.status == "hired":
            archived = {"archivedAt": ms(hired_at(a)), "reason": lid("archive_reason", HIRED)}
        elif a.status == "rejected":
            archived = {"archivedAt": ms(a.rejected_at),
                        "reason": lid("archive_reason", a.rejection_reason_id)}
        application = {
            "id": lid("application", a.id), "opportunityId": lid("opportunity", a.id),
            "candidateId": lid("contact", a.candidate_id), "createdAt": ms(a.created_at),
            "type": "posting", "posting": lid("posting", a.job_id),
            "postingOwner": None, "postingHiringManager": None, "user": None,
            "name": None, "email": None, "phone": None, "company": None, "links": [],
            "comments": None, "customQuestions": [], "archived": archived,
            "requisitionForHire": None}
        return {
            "id": lid("opportunity", a.id), "name": f"{c.first_name} {c.last_name}",
            "headline": c.company, "contact": lid("contact", c.id), "emails": [c.email],
            "phones": [{"type": "mobile", "value": c.phone}],
            "confidentiality": "confidential" if confidential(a.job_id) else "non-confidential",
            "location": None, "links": [], "createdAt": ms(a.created_at),
            "updatedAt": ms(a.updated_at), "lastInteractionAt": ms(a.updated_at),
            "lastAdvancedAt": ms(a.current.entered_at), "snoozedUntil": None,
            "archivedAt": archived and archived["archivedAt"],
            "archiveReason": archived and archived["reason"],
            "archived": archived,
            "stage": ({"id": stage_id(stage.order), "text": stage.name} if "stage" in expand
                      else stage_id(stage.order)),
            "stageChanges": [{"toStageId": stage_id(w.stage(v.stage_id).order),
                              "toStageIndex": w.stage(v.stage_id).order,
                              "updatedAt": ms(v.entered_at), "userId": lid("user", v.updated_by)}
                             for v in a.visits],
            "owner": lid("user", a.visits[0].updated_by), "tags": list(c.tags),
            "sources": [a.source], "origin": "referred" if a.source == "Referral" else "applied",
            "sourcedBy": None,
            "applications": [application] if "applications" in expand else [application["id"]],
            "resume": None, "followers": [], "isAnonymized": False, "dataProtection": None,
            "urls": {"list": "https://hire.lever.co/candidates",
                     "show": f"https://hire.lever.co/candidates/{lid('opportunity', a.id)}"}}

    @staticmethod
    def _posting(w: World, j: Job) -> dict[str, Any]:
        team = next((d.name for d in w.departments if d.id == j.department_id), None)
        return {
            "id": lid("posting", j.id), "text": j.name, "createdAt": ms(j.created_at),
            "updatedAt": ms(j.updated_at), "user": lid("user", 1), "owner": lid("user", 1),
            "hiringManager": None,
            "confidentiality": "confidential" if confidential(j.id) else "non-confidential",
            "categories": {"team": team, "department": team, "location": None,
                           "commitment": None, "level": None, "allLocations": []},
            "content": {"description": "", "descriptionHtml": "", "lists": [],
                        "closing": "", "closingHtml": ""},
            "country": None, "followers": [], "tags": [], "state": POSTING_STATE[j.status],
            "distributionChannels": ["internal"], "reqCode": j.code,
            "requisitionCodes": [j.code], "salaryDescription": None, "salaryRange": None,
            "workplaceType": "unspecified",
            "urls": {"list": "https://jobs.lever.co/sandbox",
                     "show": f"https://jobs.lever.co/sandbox/{lid('posting', j.id)}"}}

    @staticmethod
    def _stage(order: int) -> dict[str, Any]:
        return {"id": stage_id(order), "text": STAGE_NAMES[order]}

    @staticmethod
    def _user(_w: World, u: User) -> dict[str, Any]:
        return {"id": lid("user", u.id), "name": f"{u.first_name} {u.last_name}",
                "username": u.email.split("@")[0], "email": u.email,
                "accessRole": "interviewer", "photo": None, "createdAt": ms(u.created_at),
                "deactivatedAt": None if u.active else ms(u.updated_at),
                "externalDirectoryId": None, "linkedContactIds": None, "jobTitle": None,
                "managerId": None}

    @staticmethod
    def _archive_reason(r: RejectionReason | None) -> dict[str, Any]:
        if r is None:
            return {"id": lid("archive_reason", HIRED), "text": "Hired", "status": "active",
                    "type": "hired"}
        return {"id": lid("archive_reason", r.id), "text": r.name, "status": "active",
                "type": "non-hired"}

    @staticmethod
    def _offer(o: Offer) -> dict[str, Any]:
        status = OFFER_STATUS[o.status]
        fields = [{"text": "Anticipated start date", "identifier": "anticipated_start_date",
                   "value": ms(dt.datetime.combine(o.starts_at, dt.time(), dt.UTC))}]
        fields += [{"text": key.replace("_", " ").capitalize(), "identifier": key,
                    "value": value} for key, value in o.custom_fields.items()]
        sent = o.sent_at if status in ("sent", "signed", "denied") else None
        signed = o.resolved_at if status == "signed" else None
        return {"id": lid("offer", o.id), "createdAt": ms(o.created_at), "status": status,
                "creator": lid("user", 1), "approved": status != "draft",
                "approvedAt": ms(o.created_at) if status != "draft" else None,
                "posting": lid("posting", o.job_id), "fields": fields,
                "signatures": {}, "sentDocument": _document(sent, "offer"),
                "signedDocument": _document(signed, "signed-offer")}

    @staticmethod
    def _interview(w: World, i: Interview) -> dict[str, Any]:
        def person(user: int) -> dict[str, Any]:
            u = w.user(user)
            return {"id": lid("user", user), "email": u.email,
                    "name": f"{u.first_name} {u.last_name}", "feedbackTemplate": None,
                    "feedbackReminder": "once"}

        return {"id": lid("interview", i.id), "panel": lid("panel", i.id), "subject": i.title,
                "note": "", "interviewers": [person(u) for u in i.interviewer_ids],
                "timezone": "UTC", "createdAt": ms(i.created_at), "date": ms(i.start_at),
                "duration": int((i.end_at - i.start_at).total_seconds() // 60),
                "location": i.location, "feedbackTemplate": None, "feedbackForms": [],
                "feedbackReminder": "once", "user": lid("user", i.organizer_id),
                "stage": stage_id(w.stage(i.stage_id).order), "canceledAt": None,
                "postings": [lid("posting", i.job_id)], "gcalEventUrl": None}

    @staticmethod
    def _feedback(sc: Scorecard) -> dict[str, Any]:
        fields = [{"type": "score-system", "text": "Rating", "description": "", "required": True,
                   "value": RATING[sc.overall_recommendation]}]
        fields += [{"type": "score", "text": name, "description": "", "required": False,
                    "value": rating} for name, rating in sc.ratings]
        if sc.notes:
            fields.append({"type": "textarea", "text": "Notes", "description": "",
                           "required": False, "value": sc.notes})
        return {"id": lid("feedback", sc.id), "type": "interview", "text": "Interview feedback",
                "instructions": "", "fields": fields, "baseTemplateId": None,
                "interview": lid("interview", sc.interview_id), "panel": lid("panel",
                                                                            sc.interview_id),
                "user": lid("user", sc.interviewer_id), "createdAt": ms(sc.created_at),
                "completedAt": ms(sc.submitted_at), "updatedAt": ms(sc.updated_at),
                "deletedAt": None}


def _document(at: dt.datetime | None, name: str) -> dict[str, Any] | None:
    """An offer's sent or signed document, uploaded at ``at`` (None: not there)."""
    if at is None:
        return None
    return {"fileName": f"{name}.pdf", "uploadedAt": ms(at), "downloadUrl": None}
