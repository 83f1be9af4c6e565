"""Kombo's analytics streams: the entities around the pipeline, read or derived.

Offers, rejection reasons and scorecards are read from their lists; sources, departments,
offices and the job hiring team are derived from the applications and jobs of :mod:`.streams`
(Kombo has no endpoints for them) at no request's cost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import typing as t

from tap_ats.conform import ts
from tap_ats.derived import DerivedStream, DistinctDerived, name_id
from tap_ats.providers.kombo.client import REJECTION_REASONS_PATH, KomboStream, _common
from tap_ats.providers.kombo.streams import (
    Applications,
    Jobs,
    department_name,
    office_name,
    source_job,
)
from tap_ats.served import Served, moment

OFFER_STATUS = {"DRAFT": "draft", "APPROVED": "draft", "SENT": "sent", "ACCEPTED": "accepted",
                "DECLINED": "declined", "ABANDONED": "deprecated"}
HIRING_ROLE = {"HIRING_MANAGER": "hiring_manager", "RECRUITER": "recruiter",
               "COORDINATOR": "coordinator", "SOURCER": "sourcer"}
#: Headline scorecard labels, case-folded with spaces as ``_``, to the unified recommendation.
RECOMMENDATION = {"strong_yes": "strong_yes", "strong_hire": "strong_yes", "yes": "yes",
                  "hire": "yes", "no": "no", "no_hire": "no", "strong_no": "strong_no",
                  "definitely_not": "strong_no", "strong_no_hire": "strong_no",
                  "no_decision": "no_decision"}


def _named(parent: dict, name: str, **columns: t.Any) -> dict:
    """A row of an entity Kombo only names: the id is the name's stable hash, no times."""
    return {"provider": parent["provider"], "account_id": parent["account_id"],
            "id": name_id(name), "remote_id": None, "created_at": None, "updated_at": None,
            "deleted_at": None, "_sdc_deleted_at": None, "name": name, **columns, "raw": None}


class Sources(DistinctDerived):
    """``sources`` named by the applications' candidates (Kombo lists no sources)."""

    name = "sources"
    parent_stream_type = Applications

    def derive_all(self, parent_record: dict) -> list[dict]:
        """The application's source, if it has one."""
        source = parent_record["source"]
        return [_named(parent_record, source, type=None)] if source else []


def location_text(location: dict) -> str | None:
    """A location as one line: Kombo's raw text, else city, state and country."""
    parts = [location.get(k) for k in ("city", "state", "country") if location.get(k)]
    return location.get("raw") or ", ".join(parts) or None


class Departments(DistinctDerived):
    """``departments`` named by the jobs' ``department`` strings."""

    name = "departments"
    parent_stream_type = Jobs

    def derive_all(self, parent_record: dict) -> list[dict]:
        """The job's department, if it names one."""
        name = department_name(source_job(parent_record, self._tap))
        return [_named(parent_record, name, parent_id=None, external_id=None)] if name else []


class Offices(DistinctDerived):
    """``offices`` named by the jobs' ``location`` objects."""

    name = "offices"
    parent_stream_type = Jobs

    def derive_all(self, parent_record: dict) -> list[dict]:
        """The job's office, if its location names one."""
        raw = source_job(parent_record, self._tap)
        name = office_name(raw)
        if not name:
            return []
        return [_named(parent_record, name, parent_id=None,
                       location=location_text(raw.get("location") or {}), external_id=None)]


class JobHiringTeam(DerivedStream):
    """``job_hiring_team`` from ``jobs[].hiring_team``: one row per user and role."""

    name = "job_hiring_team"
    parent_stream_type = Jobs

    def derive(self, parent_record: dict) -> list[dict]:
        """Each member's roles: ``job_roles``, else the older ``hiring_team_roles``.

        Roles of one unified kind are one row per person and job; roles Kombo types as none
        of them (``INTERVIEWER``, ``ADMIN``, or no type at all) are one row each, keyed by
        :func:`team_row_id`.
        """
        job = parent_record
        rows: dict[str, dict] = {}
        for member in source_job(job, self._tap).get("hiring_team") or []:
            roles = [(r.get("unified_type"), r.get("remote_label"), r.get("remote_id"))
                     for r in member.get("job_roles") or []]
            roles = roles or [(r, None, None) for r in member.get("hiring_team_roles") or []]
            for kind, label, remote in roles:
                role = HIRING_ROLE.get(kind, "other")
                key = team_row_id(job["id"], member["id"], role, (kind, label, remote))
                rows.setdefault(key, {
                    "provider": job["provider"], "account_id": job["account_id"], "id": key,
                    "remote_id": None, "created_at": job["created_at"],
                    "updated_at": job["updated_at"], "deleted_at": job["deleted_at"],
                    "_sdc_deleted_at": job["deleted_at"], "job_id": job["id"],
                    "user_id": member["id"], "role": role, "role_raw": label or kind,
                    "raw": member if self._tap.include_raw else None})
        return list(rows.values())


def team_row_id(job_id: str, user_id: str, role: str, source: tuple[str | None, ...]) -> str:
    """``<job>:<user>:<role>``; for ``other``, plus a digest of the ATS's own role.

    Kombo may leave a job role's type, label and remote id all null, so none of them alone
    can tell two ``other`` roles of one person apart: the digest of the three together does,
    and is there whatever is null.
    """
    if role != "other":
        return f"{job_id}:{user_id}:{role}"
    digest = hashlib.sha256(json.dumps(source).encode()).hexdigest()[:16]
    return f"{job_id}:{user_id}:other:{digest}"


class Offers(KomboStream):
    """``GET /ats/offers``."""

    name = "offers"
    path = "/ats/offers"

    def map_record(self, raw: dict) -> dict:
        """Kombo offer to the unified columns; job and candidate from its application."""
        status = raw.get("status")
        application = raw.get("application") or {}
        return {
            **_common(raw),
            "application_id": raw.get("application_id"),
            "job_id": (application.get("job") or {}).get("id"),
            "candidate_id": (application.get("candidate") or {}).get("id"),
            "status": OFFER_STATUS.get(status, "other") if status else None, "status_raw": status,
            "version": None, "sent_at": None, "resolved_at": None,
            "starts_at": ts(raw.get("employment_start_date")),
            "custom_fields": raw.get("custom_fields"),
        }


class RejectionReasons(Served, KomboStream):
    """``GET /ats/rejection-reasons``: names only, so no type.

    Served from the read that looked the applications' reason ids up, when there was one in this
    run (:mod:`tap_ats.served`).
    """

    name = "rejection_reasons"
    path = REJECTION_REASONS_PATH

    @staticmethod
    def changed_at(row: dict) -> dt.datetime | None:
        """The later of ``changed_at`` and ``remote_deleted_at``: a deletion is a change."""
        times = [moment(row.get(key)) for key in ("changed_at", "remote_deleted_at")]
        return max((when for when in times if when is not None), default=None)

    def map_record(self, raw: dict) -> dict:
        """Kombo rejection reason to the unified columns."""
        return {**_common(raw), "name": raw.get("name"), "type": None, "type_raw": None}


class Scorecards(KomboStream):
    """``GET /ats/scorecards``; free-text answers only with ``include_scorecard_notes``."""

    name = "scorecards"
    path = "/ats/scorecards"

    def map_record(self, raw: dict) -> dict:
        """Kombo scorecard to the unified columns (see the package docstring)."""
        responses = raw.get("responses") or []
        headline = next((r for r in responses if r.get("remote_id") is None
                         and r.get("type") == "SINGLE_SELECT"), None)
        label = ((headline or {}).get("answer") or {}).get("label")
        notes = [r["answer"] for r in responses if r.get("type") == "TEXT" and r.get("answer")]
        return {
            **_common(raw),
            "application_id": raw.get("application_id"),
            "candidate_id": raw.get("candidate_id"), "job_id": None,
            "interview_id": raw.get("interview_id"), "interviewer_id": raw.get("author_id"),
            "submitted_at": ts(raw.get("remote_created_at")),
            "overall_recommendation": RECOMMENDATION.get(
                "_".join(label.casefold().replace("-", " ").split()), "other") if label else None,
            "overall_recommendation_raw": label,
            "ratings": [{"name": r.get("label"), "rating": rating(r)} for r in responses
                        if r is not headline and r.get("type") != "TEXT"
                        and rating(r) is not None],
            "notes": "\n\n".join(notes) or None if self.tap.include_scorecard_notes else None,
        }

    def unified(self, raw: dict) -> dict:
        """Without ``include_scorecard_notes``, ``raw`` loses the free-text answers too."""
        record = super().unified(raw)
        if record["raw"] is not None and not self.tap.include_scorecard_notes:
            record["raw"] = {**raw, "responses": [r for r in raw.get("responses") or []
                                                  if r.get("type") != "TEXT"]}
        return record


def rating(response: dict) -> str | None:
    """A scorecard answer as the ATS words it: an option's label, else the value as text."""
    answer = response.get("answer")
    if answer is None:
        return None
    if isinstance(answer, dict):
        return answer.get("label")
    if isinstance(answer, list):
        return ", ".join(a.get("label", "") for a in answer) or None
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    return str(answer)
