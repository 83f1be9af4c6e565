"""What a full Merge sync must emit: ids per stream, and the values some columns must hold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tap_ats.derived import name_id
from tap_ats.sandbox.base import ServedVersions, hires_entry, iso, truth_entry
from tap_ats.sandbox.merge.render import HIRING_ARRAYS, RECOMMENDATION, mid, offer_status
from tap_ats.sandbox.world import Application, World


class MergeTruth:
    """The ground truth half of the Merge API, over the same worlds it serves."""

    #: Provided by the sandbox's :class:`~tap_ats.sandbox.base.ProviderAPI` (annotations only,
    #: so that its ``world`` is the one found).
    accounts: list[str]
    served: ServedVersions
    world: Callable[[str], World]

    def fields(self) -> dict[str, list[list[Any]]]:
        """What the tap must take from expanded objects, id arrays and field mappings.

        Demographics are apart (:meth:`answers`): they are not selected by default.
        """
        out: dict[str, list[list[Any]]] = {}
        for account in self.accounts:
            for stream, rows in self._fields(self.world(account), account).items():
                out.setdefault(stream, []).extend(rows)
        return out

    def _fields(self, w: World, acct: str) -> dict[str, list[list[Any]]]:
        def reason(a: Application) -> str | None:
            return mid("reject_reason", a.rejection_reason_id, acct) if a.rejection_reason_id \
                else None

        return {
            "applications": [[acct, mid("application", a.id, acct), {
                "current_stage_name": w.stage(a.current.stage_id).name,
                "rejection_reason": a.rejection_reason, "rejection_reason_id": reason(a),
                "source": a.source, "source_id": name_id(a.source),
                "custom_fields": a.custom_fields}] for a in w.applications],
            "interviews": [[acct, mid("interview", i.id, acct), {
                "job_id": mid("job", i.job_id, acct),
                "organizer_id": mid("user", i.organizer_id, acct),
                "interviewer_ids": [mid("user", u, acct) for u in i.interviewer_ids]}]
                for i in w.interviews],
            "users": [[acct, mid("user", u.id, acct), {
                "name": f"{u.first_name} {u.last_name}", "email": u.email, "active": u.active}]
                for u in w.people],
            "jobs": [[acct, mid("job", j.id, acct), {
                "department_ids": [mid("department", j.department_id, acct)],
                "office_ids": [mid("office", o, acct) for o in j.office_ids],
                "custom_fields": j.custom_fields}] for j in w.jobs],
            "candidates": [[acct, mid("candidate", c.id, acct), {
                "custom_fields": c.custom_fields}] for c in w.candidates],
            "offers": [[acct, mid("offer", o.id, acct), {
                "application_id": mid("application", o.application_id, acct),
                "job_id": mid("job", o.job_id, acct),
                "candidate_id": mid("candidate", o.candidate_id, acct),
                "status": o.status, "status_raw": offer_status(o), "version": None,
                "sent_at": iso(o.sent_at), "resolved_at": iso(o.resolved_at),
                "starts_at": f"{o.starts_at.isoformat()}T00:00:00.000Z",
                "custom_fields": o.custom_fields}] for o in w.offers],
            "departments": [[acct, mid("department", d.id, acct), {
                "name": d.name, "parent_id": None, "external_id": None}] for d in w.departments],
            "offices": [[acct, mid("office", o.id, acct), {
                "name": o.name, "location": o.location, "parent_id": None}] for o in w.offices],
            "rejection_reasons": [[acct, mid("reject_reason", r.id, acct), {
                "name": r.name, "type": None}] for r in w.rejection_reasons],
            "sources": [[acct, name_id(name), {"name": name, "type": None}]
                        for name in sorted({a.source for a in w.applications})],
            "job_hiring_team": [[acct, ":".join((mid("job", m.job_id, acct),
                                                 mid("user", m.user_id, acct), m.role)), {
                "job_id": mid("job", m.job_id, acct), "user_id": mid("user", m.user_id, acct),
                "role": m.role}] for m in w.hiring_team if m.role in HIRING_ARRAYS],
            "scorecards": [[acct, mid("scorecard", c.id, acct), {
                "application_id": mid("application", c.application_id, acct),
                "candidate_id": mid("candidate", c.candidate_id, acct),
                "job_id": mid("job", c.job_id, acct),
                "interview_id": mid("interview", c.interview_id, acct),
                "interviewer_id": mid("user", c.interviewer_id, acct),
                "submitted_at": iso(c.submitted_at),
                "overall_recommendation": c.overall_recommendation,
                "overall_recommendation_raw": RECOMMENDATION[c.overall_recommendation],
                "ratings": None, "notes": None}] for c in w.scorecards],
        }

    def answers(self) -> list[list[Any]]:
        """The demographics rows, as :meth:`fields` lists rows, for a run that selects them."""
        return [[account, mid("eeoc", e.id, account), {
            "application_id": None, "candidate_id": mid("candidate", e.candidate_id, account),
            "race": e.race, "gender": e.gender, "veteran_status": e.veteran_status,
            "disability_status": e.disability_status, "submitted_at": iso(e.submitted_at)}]
            for account in self.accounts for e in self.world(account).demographics]

    def truth(self) -> dict[str, Any]:
        """Everything a full sync emits now; observed stages are the versions served so far."""
        rows: dict[str, list[tuple[str, str, bool]]] = {
            s: [] for s in ("applications", "jobs", "job_stages", "interviews", "candidates",
                            "application_stages", "users", "offers", "departments", "offices",
                            "rejection_reasons", "sources", "job_hiring_team", "scorecards",
                            "demographics")}
        visits, hires = [], []
        for account in self.accounts:
            w = self.world(account)
            # Merge's application has no hire status: a hire is a live, unrejected application
            # whose latest offer Merge reports SIGNED (the models' int_ats__hires).
            hires += [(account, mid("job", a.job_id, account)) for a in w.applications
                      if a.deleted_at is None and a.rejected_at is None and a.offers
                      and offer_status(a.offers[-1]) == "SIGNED"]
            for stream, kind, table in (("applications", "application", w.applications),
                                        ("jobs", "job", w.jobs), ("job_stages", "stage", w.stages),
                                        ("interviews", "interview", w.interviews),
                                        ("candidates", "candidate", w.candidates),
                                        ("users", "user", w.people), ("offers", "offer", w.offers),
                                        ("departments", "department", w.departments),
                                        ("offices", "office", w.offices),
                                        ("rejection_reasons", "reject_reason",
                                         w.rejection_reasons),
                                        ("scorecards", "scorecard", w.scorecards),
                                        ("demographics", "eeoc", w.demographics)):
                rows[stream] += [(account, mid(kind, r.id, account),
                                  getattr(r, "deleted_at", None) is not None) for r in table]
            rows["sources"] += [(account, name_id(name), False)
                                for name in {a.source for a in w.applications}]
            rows["job_hiring_team"] += [
                (account, f"{mid('job', m.job_id, account)}:{mid('user', m.user_id, account)}:"
                 f"{m.role}", w.job(m.job_id).deleted_at is not None)
                for m in w.hiring_team if m.role in HIRING_ARRAYS]
            observed, account_visits = self.served.truth(account)
            rows["application_stages"] += observed
            visits += account_visits
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = hires_entry(hires)
        return out
