"""What a full Lever sync must emit now: ids per stream, and the values some columns must hold.

Lever answers 404 for anything under a deleted opportunity and lists the deleted ones by id only
(``/opportunities/deleted``), so a deleted application is its one row with ``deleted_at``; its
stage history, offers, interviews, feedback and contact are listed here only while it lives
(rows read before the deletion stay in a warehouse, and the models drop them through their
application).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tap_ats.derived import name_id
from tap_ats.sandbox.base import hires_entry, iso, truth_entry
from tap_ats.sandbox.lever.render import (
    HIRED,
    OFFER_STATUS,
    RATING,
    by_application,
    hired_at,
    lid,
    ms,
    served_offers,
    stage_id,
)
from tap_ats.sandbox.world import STAGE_NAMES, Application, World

#: Unified offer status per Lever status served.
UNIFIED_OFFER = {"draft": "draft", "sent": "sent", "signed": "accepted", "denied": "declined"}


def _iso_ms(value: int | None) -> str | None:
    """A Lever millisecond time as the tap writes it."""
    if value is None:
        return None
    return iso(dt.datetime.fromtimestamp(value / 1000, dt.UTC))


class LeverTruth:
    """The ground truth half of the Lever API, over the world it serves."""

    accounts: list[str]
    world: Callable[[str], World]

    def truth(self) -> dict[str, Any]:
        """Everything a first full sync emits now (see the module docstring for deletes)."""
        rows: dict[str, list[tuple[str, str, bool]]] = {}
        visits: list[dict[str, Any]] = []
        hires: list[tuple[str, str]] = []
        for acct in self.accounts:
            w = self.world(acct)
            live = [a for a in w.applications if a.deleted_at is None]
            add = rows.setdefault
            add("applications", []).extend(
                (acct, lid("opportunity", a.id), a.deleted_at is not None)
                for a in w.applications)
            add("application_stages", []).extend(
                (acct, f"{lid('opportunity', a.id)}:{n}", False)
                for a in live for n in range(len(a.visits)))
            add("candidates", []).extend((acct, lid("contact", a.candidate_id), False)
                                         for a in live)
            add("jobs", []).extend((acct, lid("posting", j.id), False) for j in w.jobs)
            add("job_stages", []).extend((acct, stage_id(n), False)
                                         for n in range(len(STAGE_NAMES)))
            add("users", []).extend((acct, lid("user", u.id), False) for u in w.people)
            add("rejection_reasons", []).extend(
                (acct, lid("archive_reason", r), False)
                for r in [*(r.id for r in w.rejection_reasons), HIRED])
            add("sources", []).extend((acct, name_id(s), False)
                                      for s in sorted({a.source for a in live}))
            add("offers", []).extend((acct, lid("offer", o.id), False)
                                     for a in live for o in served_offers(a))
            interviews = by_application(w, "interviews")
            add("interviews", []).extend((acct, lid("interview", i.id), False)
                                         for a in live for i in interviews.get(a.id, []))
            cards = by_application(w, "scorecards")
            add("scorecards", []).extend((acct, lid("feedback", s.id), False)
                                         for a in live for s in cards.get(a.id, [])
                                         if s.deleted_at is None)
            hires += [(acct, lid("posting", a.job_id)) for a in live if a.status == "hired"]
            for a in live:
                for n, v in enumerate(a.visits):
                    visits.append({
                        "account_id": acct, "application_id": lid("opportunity", a.id),
                        "stage_id": stage_id(w.stage(v.stage_id).order),
                        "entered_at": iso(v.entered_at),
                        "exited_at": iso(a.visits[n + 1].entered_at)
                        if n + 1 < len(a.visits) else None})
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = hires_entry(hires)
        return out

    def fields(self) -> dict[str, list[list[Any]]]:
        """Column values the tap must read, for the live records of every account."""
        out: dict[str, list[list[Any]]] = {}
        for acct in self.accounts:
            w = self.world(acct)
            live = [a for a in w.applications if a.deleted_at is None]
            cards = by_application(w, "scorecards")
            out.setdefault("applications", []).extend(
                [acct, lid("opportunity", a.id), _application(w, a)] for a in live)
            out.setdefault("offers", []).extend(
                [acct, lid("offer", o.id), {
                    "application_id": lid("opportunity", a.id),
                    "candidate_id": lid("contact", a.candidate_id),
                    "job_id": lid("posting", a.job_id),
                    "status": UNIFIED_OFFER[OFFER_STATUS[o.status]],
                    "status_raw": OFFER_STATUS[o.status],
                    "sent_at": iso(o.sent_at) if o.status != "draft" else None,
                    "resolved_at": iso(o.resolved_at) if o.status == "accepted" else None}]
                for a in live for o in served_offers(a))
            out.setdefault("users", []).extend(
                [acct, lid("user", u.id), {"name": f"{u.first_name} {u.last_name}",
                                           "email": u.email, "active": u.active}]
                for u in w.people)
            out.setdefault("rejection_reasons", []).extend(
                [[acct, lid("archive_reason", r.id), {"name": r.name, "type_raw": "non-hired"}]
                 for r in w.rejection_reasons]
                + [[acct, lid("archive_reason", HIRED), {"name": "Hired", "type_raw": "hired"}]])
            out.setdefault("scorecards", []).extend(
                [acct, lid("feedback", s.id), {
                    "application_id": lid("opportunity", a.id),
                    "interview_id": lid("interview", s.interview_id),
                    "interviewer_id": lid("user", s.interviewer_id),
                    "overall_recommendation_raw": RATING[s.overall_recommendation],
                    "submitted_at": _iso_ms(ms(s.submitted_at))}]
                for a in live for s in cards.get(a.id, []) if s.deleted_at is None)
        return out


def _application(w: World, a: Application) -> dict[str, Any]:
    """The columns of one live application the tap must fill."""
    stage = w.stage(a.current.stage_id)
    rejected = a.status == "rejected"
    return {"candidate_id": lid("contact", a.candidate_id), "job_id": lid("posting", a.job_id),
            "current_stage_id": stage_id(stage.order), "current_stage_name": stage.name,
            "status": a.status, "rejected_at": iso(a.rejected_at) if rejected else None,
            "rejection_reason": a.rejection_reason if rejected else None,
            "rejection_reason_id": lid("archive_reason", a.rejection_reason_id) if rejected
            else lid("archive_reason", HIRED) if hired_at(a) else None,
            "source": a.source, "source_id": name_id(a.source)}
