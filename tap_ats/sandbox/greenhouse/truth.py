"""What a full Greenhouse sync must emit now: the ids and the values of looked-up columns.

:class:`Truth` is a mixin of :class:`~.api.GreenhouseAPI`; the tests compare the
warehouse against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tap_ats.sandbox.base import hires_entry, iso, truth_entry
from tap_ats.sandbox.greenhouse.tables import ATTRIBUTE_RATING, REJECTION_TYPE, STRATEGY, gid
from tap_ats.sandbox.world import (
    EEOC_LABELS,
    HiringTeamMember,
    World,
)


class Truth:
    """Ground truth of the world as the tap must read it (a mixin of the API)."""

    #: (stream, resource) of the streams whose rows are the resource's live records, by its id.
    PLAIN = (("applications", "applications"), ("application_stages", "application_stages"),
             ("jobs", "jobs"), ("job_stages", "job_interview_stages"),
             ("interviews", "interviews"), ("candidates", "candidates"), ("users", "users"),
             ("offers", "offers"), ("departments", "departments"), ("offices", "offices"),
             ("rejection_reasons", "rejection_reasons"), ("sources", "sources"),
             ("scorecards", "scorecards"), ("custom_field_definitions", "custom_fields"))

    def truth(self) -> dict[str, Any]:
        """What a full sync emits now: live records only; every visit of every live application.

        ``hires``: the hired live applications per job. ``demographics`` is left out: it is read
        only when selected (see :meth:`demographics`).
        """
        rows: dict[str, list[tuple[str, str, bool]]] = {}
        visits, hires = [], []
        for account in self.accounts:
            w = self.world(account)
            resources = self._resources(w)
            for stream, resource in self.PLAIN:
                kind, table, _render, live = resources[resource]
                rows.setdefault(stream, []).extend(
                    (account, str(gid(kind, r.id)), False) for r in table if live(r))
            rows.setdefault("job_hiring_team", []).extend(
                (account, team_id(m), False) for m in w.hiring_team)
            visits += [{"account_id": account,
                        "application_id": str(gid("application", v.application_id)),
                        "stage_id": str(gid("stage", v.stage_id)),
                        "entered_at": iso(v.entered_at), "exited_at": iso(v.exited_at)}
                       for v in w.visits if resources["application_stages"][3](v)]
            hires += [(account, str(gid("job", a.job_id))) for a in w.applications
                      if a.status == "hired" and resources["applications"][3](a)]
        out = {name: truth_entry(r) for name, r in rows.items()}
        out["stage_visits"] = visits
        out["hires"] = hires_entry(hires)
        return out

    def demographics(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The ``demographics`` rows a sync that selects them emits now, by (account, id)."""
        out = {}
        for account in self.accounts:
            for d in self.world(account).demographics:
                if d.deleted_at is None:
                    out[account, str(gid("demographic", d.id))] = {
                        "application_id": str(gid("application", d.application_id)),
                        "candidate_id": str(gid("candidate", d.candidate_id)),
                        "race": EEOC_LABELS[d.race], "gender": EEOC_LABELS[d.gender],
                        "veteran_status": EEOC_LABELS[d.veteran_status],
                        "disability_status": EEOC_LABELS[d.disability_status],
                        "submitted_at": iso(d.submitted_at)}
        return out

    def fields(self) -> dict[str, list[list[Any]]]:
        """The values a sync must put in the columns that come from lookups or mappings, per row.

        Interviews and users (lookups), and the analytics entities and what they added to
        applications and jobs (every stream read by default, so each lists all its rows).
        """
        out: dict[str, list[list[Any]]] = {}

        def add(stream: str, account: str, key: str, values: dict[str, Any]) -> None:
            out.setdefault(stream, []).append([account, key, values])

        for account in self.accounts:
            w = self.world(account)
            res = self._resources(w)
            for i in w.interviews:
                if res["interviews"][3](i):
                    add("interviews", account, str(gid("interview", i.id)), {
                        "title": f"{w.stage(i.stage_id).name} panel",
                        "stage_id": str(gid("stage", i.stage_id)),
                        "organizer_id": str(gid("user", i.organizer_id)),
                        "interviewer_ids": [str(gid("user", u)) for u in i.interviewer_ids]})
            for u in w.people:
                add("users", account, str(gid("user", u.id)), {
                    "name": f"{u.first_name} {u.last_name}", "email": u.email,
                    "active": u.active})
            self._entity_fields(w, account, add)
        return out

    def _entity_fields(self, w: World, account: str,
                       add: Callable[[str, str, str, dict[str, Any]], None]) -> None:
        """:meth:`fields` of the analytics entities and the columns they add."""
        res = self._resources(w)
        reasons = {r.id: r for r in w.rejection_reasons}
        fields = self.derived(w).fields

        def custom(object_type: str, values: dict[str, Any]) -> dict[str, Any]:
            return {f.key: values.get(f.key) for f in fields.get(object_type, [])}

        def ref(kind: str, n: int | None) -> str | None:
            return None if n is None else str(gid(kind, n))

        for a in w.applications:
            if res["applications"][3](a):
                add("applications", account, str(gid("application", a.id)), {
                    "source": a.source, "source_id": ref("source", a.source_id),
                    "rejection_reason": a.rejection_reason,
                    "rejection_reason_id": ref("rejection_reason", a.rejection_reason_id),
                    "custom_fields": custom("application", a.custom_fields)})
        for j in w.jobs:
            if not res["jobs"][3](j):
                continue
            add("jobs", account, str(gid("job", j.id)), {
                "department_ids": [] if j.department_id is None
                else [str(gid("department", j.department_id))],
                "office_ids": [str(gid("office", o)) for o in j.office_ids],
                "custom_fields": custom("job", j.custom_fields)})
        for c in w.candidates:
            if res["candidates"][3](c):
                add("candidates", account, str(gid("candidate", c.id)),
                    {"custom_fields": custom("candidate", c.custom_fields)})
        for o in w.offers:
            if res["offers"][3](o):
                add("offers", account, str(gid("offer", o.id)), {
                    "application_id": str(gid("application", o.application_id)),
                    "candidate_id": str(gid("candidate", o.candidate_id)),
                    "job_id": str(gid("job", o.job_id)), "status": o.status,
                    "version": o.version, "resolved_at": iso(o.resolved_at),
                    "sent_at": None if o.sent_at is None
                    else f"{o.sent_at.date().isoformat()}T00:00:00Z",
                    "starts_at": f"{o.starts_at.isoformat()}T00:00:00Z",
                    "custom_fields": custom("offer", o.custom_fields)})
        for d in w.departments:
            add("departments", account, str(gid("department", d.id)), {
                "name": d.name, "parent_id": ref("department", d.parent_id),
                "external_id": d.external_id})
        for o in w.offices:
            add("offices", account, str(gid("office", o.id)), {
                "name": o.name, "parent_id": ref("office", o.parent_id), "location": o.location,
                "external_id": o.external_id})
        for s in w.sources:
            add("sources", account, str(gid("source", s.id)),
                {"name": s.name, "type": STRATEGY[s.type][1]})
        for r in reasons.values():
            add("rejection_reasons", account, str(gid("rejection_reason", r.id)), {
                "name": r.name, "type": r.type, "type_raw": REJECTION_TYPE[r.type][2]})
        for m in w.hiring_team:
            add("job_hiring_team", account, team_id(m), {
                "job_id": str(gid("job", m.job_id)), "user_id": str(gid("user", m.user_id)),
                "role": m.role, "role_raw": m.role})
        for c in w.scorecards:
            if res["scorecards"][3](c):
                add("scorecards", account, str(gid("scorecard", c.id)), {
                    "application_id": str(gid("application", c.application_id)),
                    "candidate_id": None, "job_id": None,
                    "interview_id": str(gid("interview", c.interview_id)),
                    "interviewer_id": str(gid("user", c.interviewer_id)),
                    "submitted_at": iso(c.submitted_at),
                    "overall_recommendation": c.overall_recommendation,
                    "ratings": [{"name": name, "rating": ATTRIBUTE_RATING.get(rating, rating)}
                                for name, rating in c.ratings],
                    "notes": None})
        for f in w.custom_field_definitions:
            add("custom_field_definitions", account, str(gid("custom_field", f.id)), {
                "name": f.name, "key": f.key, "object_type": f.object_type,
                "field_type": f.field_type, "options": list(f.options), "active": f.active})



def team_id(m: HiringTeamMember) -> str:
    """The unified id of a hiring-team row: ``<job_id>:<user_id>:<role>``."""
    return f"{gid('job', m.job_id)}:{gid('user', m.user_id)}:{m.role}"
