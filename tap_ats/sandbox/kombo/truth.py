"""What a full Kombo sync must emit: ids per stream, and the values some columns must hold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tap_ats.derived import name_id
from tap_ats.sandbox.base import ServedVersions, hires_entry, iso, truth_entry
from tap_ats.sandbox.kombo.render import (
    ANSWER_LABEL,
    OFFER_STATUS,
    ROLE_LABEL,
    kid,
    office_label,
    start_of,
    team_id,
)
from tap_ats.sandbox.world import World


class KomboTruth:
    """The ground truth half of the Kombo API, over the same worlds it serves."""

    #: Provided by :class:`~tap_ats.sandbox.base.ProviderAPI` and ``KomboAPI`` (annotations
    #: only, so that its ``world`` is the one found).
    accounts: list[str]
    served: ServedVersions
    world: Callable[[str], World]

    def fields(self) -> dict[str, list[list[Any]]]:
        """Names from nested objects, the stages' own remote ids, and the analytics entities.

        Scorecard ``notes`` are null here: a default run leaves them out.
        """
        out: dict[str, list[list[Any]]] = {s: [] for s in (
            "applications", "interviews", "job_stages", "jobs", "candidates", "users", "offers",
            "rejection_reasons", "scorecards", "job_hiring_team")}
        for account in self.accounts:
            w = self.world(account)
            out["applications"] += [[account, kid("application", a.id), {
                "current_stage_name": w.stage(a.current.stage_id).name,
                "rejection_reason": a.rejection_reason, "source": a.source,
                "source_id": name_id(a.source), "custom_fields": a.custom_fields,
                "rejection_reason_id": kid("rejection_reason", a.rejection_reason_id)
                if a.rejection_reason_id else None}] for a in w.applications]
            out["interviews"] += [[account, kid("interview", i.id), {
                "title": i.title, "job_id": kid("job", i.job_id),
                "interviewer_ids": [kid("user", u) for u in i.interviewer_ids]}]
                for i in w.interviews]
            out["job_stages"] += [[account, kid("stage", s.id), {"remote_id": str(s.id)}]
                                  for s in w.stages]
            out["jobs"] += [[account, kid("job", j.id), {
                "department_ids": [name_id(w.departments.get(j.department_id).name)],
                "office_ids": [name_id(office_label(w, j)[0])],
                "custom_fields": j.custom_fields}] for j in w.jobs]
            out["candidates"] += [[account, kid("candidate", c.id), {
                "custom_fields": c.custom_fields}] for c in w.candidates]
            out["users"] += [[account, kid("user", u.id), {
                "name": f"{u.first_name} {u.last_name}", "email": u.email, "active": u.active,
                "created_at": None}] for u in w.people]
            out["offers"] += [[account, kid("offer", o.id), {
                "status": o.status,
                "status_raw": OFFER_STATUS[o.status],
                "application_id": kid("application", o.application_id),
                "job_id": kid("job", o.job_id), "candidate_id": kid("candidate", o.candidate_id),
                "starts_at": iso(start_of(o)), "custom_fields": o.custom_fields}]
                for o in w.offers]
            out["rejection_reasons"] += [[account, kid("rejection_reason", r.id), {
                "name": r.name, "type": None}] for r in w.rejection_reasons]
            out["scorecards"] += [[account, kid("scorecard", sc.id), {
                "interviewer_id": kid("user", sc.interviewer_id),
                "interview_id": kid("interview", sc.interview_id),
                "submitted_at": iso(sc.submitted_at),
                "overall_recommendation": sc.overall_recommendation,
                "overall_recommendation_raw": ANSWER_LABEL[sc.overall_recommendation],
                "ratings": [{"name": n, "rating": ANSWER_LABEL[r]} for n, r in sc.ratings],
                "notes": None}] for sc in w.scorecards]
            out["job_hiring_team"] += [[account, team_id(m), {
                "job_id": kid("job", m.job_id), "user_id": kid("user", m.user_id),
                "role": m.role, "role_raw": ROLE_LABEL[m.role]}] for m in w.hiring_team]
        out["departments"] = [[a, i, {"name": name}] for a, i, name in self._named("departments")]
        out["offices"] = [[a, i, {"name": name, "location": location}]
                          for a, i, (name, location) in self._named("offices")]
        out["sources"] = [[a, i, {"name": name, "type": None}]
                          for a, i, name in self._named("sources")]
        return out

    def _named(self, stream: str) -> list[tuple[str, str, Any]]:
        """The distinct entities Kombo only names: (account, name_id, what names it)."""
        out: dict[tuple[str, str], Any] = {}
        for account in self.accounts:
            w = self.world(account)
            if stream == "departments":
                named = [(d := w.departments.get(j.department_id).name, d) for j in w.jobs]
            elif stream == "offices":
                named = [(office_label(w, j)[0], office_label(w, j)) for j in w.jobs]
            else:
                named = [(a.source, a.source) for a in w.applications]
            out.update(((account, name_id(name)), value) for name, value in named)
        return [(a, i, v) for (a, i), v in sorted(out.items())]

    def truth(self) -> dict[str, Any]:
        """Everything a full sync emits now; observed stages are the versions served so far.

        ``hires``: the hired live applications per job.
        """
        rows: dict[str, list[tuple[str, str, bool]]] = {
            s: [] for s in ("applications", "jobs", "job_stages", "interviews", "candidates",
                            "application_stages", "users", "offers", "rejection_reasons",
                            "scorecards", "job_hiring_team")}
        visits, hires = [], []
        for account in self.accounts:
            w = self.world(account)
            hires += [(account, kid("job", a.job_id)) for a in w.applications
                      if a.status == "hired" and a.deleted_at is None]
            for kind, table in (("application", w.applications), ("job", w.jobs),
                                ("interview", w.interviews), ("candidate", w.candidates)):
                rows[f"{kind}s"] += [(account, kid(kind, r.id), r.deleted_at is not None)
                                     for r in table]
            rows["job_stages"] += [(account, kid("stage", s.id), False) for s in w.stages]
            for kind, table in (("user", w.people), ("offer", w.offers),
                                ("rejection_reason", w.rejection_reasons),
                                ("scorecard", w.scorecards)):
                rows[f"{kind}s"] += [(account, kid(kind, r.id),
                                      getattr(r, "deleted_at", None) is not None) for r in table]
            rows["job_hiring_team"] += [(account, team_id(m), False) for m in w.hiring_team]
            observed, account_visits = self.served.truth(account)
            rows["application_stages"] += observed
            visits += account_visits
        for stream in ("departments", "offices", "sources"):
            rows[stream] = [(a, i, False) for a, i, _ in self._named(stream)]
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = hires_entry(hires)
        return out
