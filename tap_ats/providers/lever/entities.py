"""Lever's streams around the pipeline: what it lists per opportunity, and its account lists.

Offers, interviews and feedback (scorecards) are lists under one opportunity
(:class:`~tap_ats.providers.lever.client.PerOpportunity`), read for the opportunities changed
since the bookmark. Archive reasons (the rejection reasons, "Hired" among them) and sources are
the account's lists, read in full.
"""

from __future__ import annotations

import datetime as dt

from tap_ats.derived import name_id
from tap_ats.providers.lever.client import LeverStream, PerOpportunity
from tap_ats.providers.lever.streams import Applications, ms_time, sid
from tap_ats.served import Served

#: Lever's offer statuses: before the candidate has it is a draft; sent by Lever, by hand, or
#: opened is sent; signed is accepted; denied is declined.
OFFER_STATUS = {"draft": "draft", "approval-sent": "draft", "approved": "draft", "sent": "sent",
                "sent-manually": "sent", "opened": "sent", "signed": "accepted",
                "denied": "declined"}
#: The answers of the overall rating (a ``score-system`` field) of Lever's feedback forms.
RECOMMENDATION = {"4 - Strong Hire": "strong_yes", "3 - Hire": "yes", "2 - No Hire": "no",
                  "1 - Strong No Hire": "strong_no"}
#: The offer field that holds the start date (milliseconds since the epoch).
START_DATE = "anticipated_start_date"


class Offers(PerOpportunity):
    """``GET /opportunities/<id>/offers``: its ``fields`` are the customer's offer form.

    Lever's offer has no version and no update time; ``sent_at`` is when the sent document was
    uploaded, ``resolved_at`` when the signed one was (a denial carries no time).
    """

    name = "offers"
    parent_stream_type = Applications
    resource = "offers"

    def map_record(self, raw: dict) -> dict:
        """Lever offer to the unified columns."""
        status = raw.get("status")
        fields = {f.get("identifier") or f.get("text"): f.get("value")
                  for f in raw.get("fields") or [] if isinstance(f, dict)}
        opportunity = self.opportunity
        return {"id": raw["id"], "remote_id": None, "created_at": ms_time(raw.get("createdAt")),
                "updated_at": ms_time(raw.get("createdAt")), "deleted_at": None,
                "application_id": opportunity["id"],
                "job_id": sid(raw.get("posting")) or opportunity["job_id"],
                "candidate_id": opportunity["candidate_id"],
                "status": OFFER_STATUS.get(status, "other") if status else None,
                "status_raw": status, "version": None,
                "sent_at": ms_time((raw.get("sentDocument") or {}).get("uploadedAt")),
                "resolved_at": ms_time((raw.get("signedDocument") or {}).get("uploadedAt")),
                "starts_at": ms_time(fields.get(START_DATE)), "custom_fields": fields or None}


class Interviews(PerOpportunity):
    """``GET /opportunities/<id>/interviews``.

    Lever's interview has no status: canceled if ``canceledAt`` is set, else scheduled until
    its end (``date`` plus ``duration`` minutes) and complete after it; ``status_raw`` stays
    null. ``organizer_id`` is the interview's ``user`` (who scheduled it).
    """

    name = "interviews"
    parent_stream_type = Applications
    resource = "interviews"

    def map_record(self, raw: dict) -> dict:
        """Lever interview to the unified columns."""
        start = ms_time(raw.get("date"))
        end = None
        if isinstance(raw.get("date"), int) and isinstance(raw.get("duration"), int | float):
            end = ms_time(raw["date"] + int(raw["duration"] * 60_000))
        if raw.get("canceledAt"):
            status = "canceled"
        elif end is None:
            status = None
        else:
            ended = dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
            status = "complete" if ended <= dt.datetime.now(dt.UTC) else "scheduled"
        postings = raw.get("postings") or []
        return {"id": raw["id"], "remote_id": None, "created_at": ms_time(raw.get("createdAt")),
                "updated_at": ms_time(raw.get("createdAt")), "deleted_at": None,
                "application_id": self.opportunity["id"],
                "job_id": sid(postings[0]) if postings else self.opportunity["job_id"],
                "stage_id": sid(raw.get("stage")), "title": raw.get("subject"), "status": status,
                "status_raw": None, "start_at": start, "end_at": end,
                "location": raw.get("location"), "organizer_id": sid(raw.get("user")),
                "interviewer_ids": [str(i["id"]) for i in raw.get("interviewers") or []
                                    if isinstance(i, dict) and i.get("id")]}


class Scorecards(PerOpportunity):
    """``GET /opportunities/<id>/feedback``: interview feedback forms.

    The overall recommendation is the form's ``score-system`` field; ``ratings`` are its
    ``score`` fields by label; text answers are notes, kept only with
    ``include_scorecard_notes``.
    """

    name = "scorecards"
    parent_stream_type = Applications
    resource = "feedback"

    def map_record(self, raw: dict) -> dict:
        """Lever feedback to the unified columns."""
        fields = [f for f in raw.get("fields") or [] if isinstance(f, dict)]
        overall = next((f.get("value") for f in fields if f.get("type") == "score-system"), None)
        notes = [str(f["value"]) for f in fields
                 if f.get("type") in ("text", "textarea") and f.get("value")]
        deleted = ms_time(raw.get("deletedAt"))
        return {"id": raw["id"], "remote_id": None, "created_at": ms_time(raw.get("createdAt")),
                "updated_at": ms_time(raw.get("updatedAt")), "deleted_at": deleted,
                "application_id": self.opportunity["id"],
                "candidate_id": self.opportunity["candidate_id"],
                "job_id": self.opportunity["job_id"], "interview_id": sid(raw.get("interview")),
                "interviewer_id": sid(raw.get("user")),
                "submitted_at": ms_time(raw.get("completedAt")),
                "overall_recommendation": RECOMMENDATION.get(overall, "other") if overall
                else None, "overall_recommendation_raw": overall,
                "ratings": [{"name": f.get("text"), "rating": str(f["value"])} for f in fields
                            if f.get("type") == "score" and f.get("value") is not None],
                "notes": "\n\n".join(notes) or None
                if self.config.get("include_scorecard_notes") else None}


class RejectionReasons(Served, LeverStream):
    """``GET /archive_reasons``: ``type`` is Lever's hired / non-hired, kept in ``type_raw``.

    Lever does not say who ended a non-hired archive (we, or the candidate), so ``type`` is
    null; "Hired" (type ``hired``) is no rejection, and ``type`` says ``other``. Served from
    the read that looked the opportunities' reasons up, when there was one in this run.
    """

    name = "rejection_reasons"
    path = "/archive_reasons"

    def map_record(self, raw: dict) -> dict:
        """Lever archive reason to the unified columns."""
        kind = raw.get("type")
        return {"id": raw["id"], "remote_id": None, "created_at": None, "updated_at": None,
                "deleted_at": None, "name": raw.get("text"),
                "type": "other" if kind == "hired" else None, "type_raw": kind}


class Sources(LeverStream):
    """``GET /sources``: a text and a count, no id, so the id is :func:`name_id` of the text."""

    name = "sources"
    path = "/sources"

    def map_record(self, raw: dict) -> dict:
        """Lever source to the unified columns."""
        text = raw.get("text")
        return {"id": name_id(text) if text else None, "remote_id": None, "created_at": None,
                "updated_at": None, "deleted_at": None, "name": text, "type": None}
