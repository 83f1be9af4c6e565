"""Merge's analytics streams: the entities around the pipeline, read or derived.

Offers, departments, offices, rejection reasons, scorecards and demographics are read from their
lists; sources and the job hiring team are derived from the applications and jobs of
:mod:`.streams` at no request's cost.
"""

from __future__ import annotations

from tap_ats.conform import ts
from tap_ats.derived import DerivedStream, DistinctDerived
from tap_ats.providers.merge.client import MergeStream, custom_fields, related
from tap_ats.providers.merge.streams import Applications, Jobs

#: OfferStatusEnum: before the candidate has it (drafted, in or through approval) is draft;
#: sent by the ATS, by hand, or opened is sent; SIGNED is accepted; DENIED is declined.
OFFER_STATUS = {"DRAFT": "draft", "APPROVAL-SENT": "draft", "APPROVED": "draft", "SENT": "sent",
                "SENT-MANUALLY": "sent", "OPENED": "sent", "SIGNED": "accepted",
                "DENIED": "declined", "DEPRECATED": "deprecated"}
#: OverallRecommendationEnum; DEFINITELY_NO is the strongest no.
RECOMMENDATION = {"STRONG_YES": "strong_yes", "YES": "yes", "NO": "no",
                  "DEFINITELY_NO": "strong_no", "NO_DECISION": "no_decision"}


class Sources(DistinctDerived):
    """The distinct ``source`` strings of the applications read: Merge has no Source model.

    The id is :func:`name_id` of the name, as ``applications.source_id`` holds it; Merge gives
    no source type, object or times, so those stay null.
    """

    name = "sources"
    parent_stream_type = Applications

    def derive_all(self, parent_record: dict) -> list[dict]:
        """The source the application names, if any."""
        app = parent_record
        if not app.get("source_id"):
            return []
        return [{"provider": app["provider"], "account_id": app["account_id"],
                 "id": app["source_id"], "remote_id": None, "created_at": None,
                 "updated_at": None, "deleted_at": None, "_sdc_deleted_at": None,
                 "name": app["source"], "type": None, "raw": None}]


class JobHiringTeam(DerivedStream):
    """One row per user and role in a job's ``hiring_managers`` and ``recruiters``.

    Merge's Job names no coordinators or sourcers. A row carries its job's times and deletion:
    it is as current as the job it was read with. A person taken off a team stays in the
    warehouse until the job is deleted (Merge signals no change to the arrays).
    """

    name = "job_hiring_team"
    parent_stream_type = Jobs

    def derive(self, parent_record: dict) -> list[dict]:
        """The team the job was read with."""
        job = parent_record
        team = self._tap.streams[Jobs.name].teams.pop(job["id"], [])
        return [{"provider": job["provider"], "account_id": job["account_id"],
                 "id": f"{job['id']}:{user}:{role}", "remote_id": None,
                 "created_at": job["created_at"], "updated_at": job["updated_at"],
                 "deleted_at": job["deleted_at"], "_sdc_deleted_at": job["deleted_at"],
                 "job_id": job["id"], "user_id": user, "role": role, "role_raw": role,
                 "raw": None} for user, role in team]


class Offers(MergeStream):
    """``GET /ats/v1/offers``; ``expand=application`` gives the job and candidate of each offer.

    Merge's Offer has no version (null) and one ``closed_at``, the unified ``resolved_at``.
    """

    name = "offers"
    path = "/ats/v1/offers"
    expand = "application"
    expand_columns = "offers.job_id and offers.candidate_id"
    expand_models = "Application"

    def map_record(self, raw: dict) -> dict:
        """Merge offer to the unified columns."""
        status = raw.get("status")
        application = related(raw.get("application"))
        return {**self.common(raw), "application_id": application.get("id"),
                "job_id": application.get("job"), "candidate_id": application.get("candidate"),
                "status": OFFER_STATUS.get(status, "other") if status else None,
                "status_raw": status, "version": None, "sent_at": ts(raw.get("sent_at")),
                "resolved_at": ts(raw.get("closed_at")), "starts_at": ts(raw.get("start_date")),
                "custom_fields": custom_fields(raw)}


class Departments(MergeStream):
    """``GET /ats/v1/departments``: a name only (no parent, no code of the customer's)."""

    name = "departments"
    path = "/ats/v1/departments"

    def map_record(self, raw: dict) -> dict:
        """Merge department to the unified columns."""
        return {**self.common(raw), "name": raw.get("name"), "parent_id": None,
                "external_id": None}


class Offices(MergeStream):
    """``GET /ats/v1/offices``: a name and a location string (no parent, no own code)."""

    name = "offices"
    path = "/ats/v1/offices"

    def map_record(self, raw: dict) -> dict:
        """Merge office to the unified columns."""
        return {**self.common(raw), "name": raw.get("name"), "parent_id": None,
                "location": raw.get("location"), "external_id": None}


class RejectionReasons(MergeStream):
    """``GET /ats/v1/reject-reasons``: Merge's RejectReason has a name only, so ``type`` is null.

    Guessing "we rejected" or "they withdrew" from a name would be invented data.
    """

    name = "rejection_reasons"
    path = "/ats/v1/reject-reasons"

    def map_record(self, raw: dict) -> dict:
        """Merge reject reason to the unified columns."""
        return {**self.common(raw), "name": raw.get("name"), "type": None, "type_raw": None}


class Scorecards(MergeStream):
    """``GET /ats/v1/scorecards``; ``expand=application`` gives each one's job and candidate.

    Merge's Scorecard has an overall recommendation only: no per-attribute ratings and no
    free text, so ``ratings`` and ``notes`` stay null whatever ``include_scorecard_notes`` says.
    """

    name = "scorecards"
    path = "/ats/v1/scorecards"
    expand = "application"
    expand_columns = "scorecards.job_id and scorecards.candidate_id"
    expand_models = "Application"

    def map_record(self, raw: dict) -> dict:
        """Merge scorecard to the unified columns."""
        recommendation = raw.get("overall_recommendation")
        application = related(raw.get("application"))
        return {**self.common(raw), "application_id": application.get("id"),
                "candidate_id": application.get("candidate"), "job_id": application.get("job"),
                "interview_id": related(raw.get("interview")).get("id"),
                "interviewer_id": related(raw.get("interviewer")).get("id"),
                "submitted_at": ts(raw.get("submitted_at")),
                "overall_recommendation": RECOMMENDATION.get(recommendation, "other")
                if recommendation else None,
                "overall_recommendation_raw": recommendation, "ratings": None, "notes": None}


class Demographics(MergeStream):
    """``GET /ats/v1/eeocs``: sensitive, so only read when selected; values are never logged.

    Merge's EEOC belongs to a candidate, not an application: ``application_id`` is null (a
    candidate may have applied to several jobs; joining on ``candidate_id`` is the honest link).
    The answers are Merge's enum names as given.
    """

    name = "demographics"
    path = "/ats/v1/eeocs"
    selected_by_default = False

    def map_record(self, raw: dict) -> dict:
        """Merge EEOC to the unified columns."""
        return {**self.common(raw), "application_id": None,
                "candidate_id": related(raw.get("candidate")).get("id"),
                "race": raw.get("race"), "gender": raw.get("gender"),
                "veteran_status": raw.get("veteran_status"),
                "disability_status": raw.get("disability_status"),
                "submitted_at": ts(raw.get("submitted_at"))}
