"""What a full Ashby sync must emit now: the live records' ids and some columns' values.

Ashby signals no delete: a deleted application is gone from every list, with its interviews, its
offer, its feedback and its history, so the truth holds live records only (as Greenhouse's
does). The stage rows are the live applications' visits, each the ``application.listHistory``
event of its id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tap_ats.sandbox.ashby.render import SCORE, VERDICT, aid
from tap_ats.sandbox.base import hires_entry, iso, truth_entry
from tap_ats.sandbox.world import World

#: The world's offer status -> the unified one the tap must give (Ashby has no sent state
#: apart from waiting on the candidate, and a cancelled offer is deprecated).
OFFER = {"draft": "draft", "sent": "sent", "accepted": "accepted", "declined": "declined",
         "deprecated": "deprecated"}


class AshbyTruth:
    """The ground truth half of the Ashby API, over the world it serves."""

    accounts: list[str]
    world: Callable[[str], World]

    def truth(self) -> dict[str, Any]:
        """Every live record's id per stream; the stage rows and visits of live applications."""
        rows: dict[str, list[tuple[str, str, bool]]] = {}
        visits, hires = [], []
        for account in self.accounts:
            w = self.world(account)
            apps = [a for a in w.applications if a.deleted_at is None]
            live = {a.id for a in apps}
            hires += [(account, aid("job", a.job_id)) for a in apps if a.status == "hired"]
            plain = {
                "applications": [aid("application", a.id) for a in apps],
                "application_stages": [aid("history", v.id) for a in apps for v in a.visits],
                "jobs": [aid("job", j.id) for j in w.jobs],
                "job_stages": [aid("stage", s.id) for s in w.stages],
                "interviews": [aid("schedule", i.id) for i in w.interviews
                               if i.application_id in live],
                "candidates": [aid("candidate", c.id) for c in w.candidates],
                "users": [aid("user", u.id) for u in w.people],
                "offers": [aid("offer", a.offers[0].id) for a in apps if a.offers],
                "departments": [aid("department", d.id) for d in w.departments],
                "offices": [aid("location", o.id) for o in w.offices],
                "sources": [aid("source", s.id) for s in w.sources],
                "rejection_reasons": [aid("archive_reason", r.id) for r in w.rejection_reasons],
                "custom_field_definitions": [aid("custom_field", d.id)
                                             for d in w.custom_field_definitions],
                "job_hiring_team": [f"{aid('job', m.job_id)}:{aid('user', m.user_id)}:{m.role}"
                                    for m in w.hiring_team],
                "scorecards": [aid("feedback", s.id) for s in w.scorecards
                               if s.deleted_at is None and s.application_id in live],
            }
            for stream, ids in plain.items():
                rows.setdefault(stream, []).extend((account, i, False) for i in ids)
            visits += [{"account_id": account, "application_id": aid("application", a.id),
                        "stage_id": aid("stage", v.stage_id), "entered_at": iso(v.entered_at),
                        "exited_at": iso(v.exited_at)} for a in apps for v in a.visits]
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = hires_entry(hires)
        return out

    def fields(self) -> dict[str, list[list[Any]]]:
        """The columns the tap takes from nested objects and histories, per live record."""
        out: dict[str, list[list[Any]]] = {}
        for acct in self.accounts:
            w = self.world(acct)
            apps = [a for a in w.applications if a.deleted_at is None]
            keys = {d.key: aid("custom_field", d.id) for d in w.custom_field_definitions}
            out.setdefault("applications", []).extend([[acct, aid("application", a.id), {
                "candidate_id": aid("candidate", a.candidate_id), "job_id": aid("job", a.job_id),
                "current_stage_id": aid("stage", a.current.stage_id),
                "current_stage_name": w.stage(a.current.stage_id).name, "status": a.status,
                "rejected_at": iso(a.rejected_at), "rejection_reason": a.rejection_reason,
                "rejection_reason_id": aid("archive_reason", a.rejection_reason_id)
                if a.rejection_reason_id else None,
                "source": a.source, "source_id": aid("source", a.source_id),
                "custom_fields": {keys[k]: v for k, v in a.custom_fields.items()}}]
                for a in apps])
            out.setdefault("offers", []).extend([[acct, aid("offer", a.offers[0].id), {
                "application_id": aid("application", a.id), "status": OFFER[a.offers[-1].status],
                "resolved_at": iso(a.offers[-1].resolved_at),
                "starts_at": f"{a.offers[-1].starts_at.isoformat()}T00:00:00Z"}]
                for a in apps if a.offers])
            out.setdefault("application_stages", []).extend([[acct, aid("history", v.id), {
                "application_id": aid("application", a.id), "job_id": aid("job", a.job_id),
                "candidate_id": aid("candidate", a.candidate_id),
                "stage_id": aid("stage", v.stage_id), "stage_name": w.stage(v.stage_id).name,
                "entered_at": iso(v.entered_at), "exited_at": iso(v.exited_at),
                "is_current": v is a.current, "origin": "native"}]
                for a in apps for v in a.visits])
            live = {a.id for a in apps}
            out.setdefault("interviews", []).extend([[acct, aid("schedule", i.id), {
                "application_id": aid("application", i.application_id),
                "stage_id": aid("stage", i.stage_id), "start_at": iso(i.start_at),
                "interviewer_ids": [aid("user", u) for u in i.interviewer_ids]}]
                for i in w.interviews if i.application_id in live])
            out.setdefault("scorecards", []).extend([[acct, aid("feedback", s.id), {
                "application_id": aid("application", s.application_id),
                "interview_id": aid("event", s.interview_id),
                "interviewer_id": aid("user", s.interviewer_id),
                "submitted_at": iso(s.submitted_at),
                "overall_recommendation": s.overall_recommendation,  # no_decision: unanswered
                "overall_recommendation_raw": VERDICT[s.overall_recommendation][1]
                if s.overall_recommendation in VERDICT else None,
                "ratings": [{"name": name, "rating": SCORE[rating]}
                            for name, rating in s.ratings if rating in SCORE],
                "notes": None}]  # a default run leaves notes out
                for s in w.scorecards if s.deleted_at is None and s.application_id in live])
            out.setdefault("users", []).extend([[acct, aid("user", u.id), {
                "name": f"{u.first_name} {u.last_name}", "email": u.email, "active": u.active}]
                for u in w.people])
        return out
