"""What a full ATZ CRM sync must emit now, keyed as the tap keys ATZ rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from tap_ats.sandbox.atzcrm.render import JOB_STATUS, day, midnight, talent_id
from tap_ats.sandbox.base import truth_entry
from tap_ats.sandbox.world import Interview, World


class Truth:
    """Ground truth of the world as the tap must read it (a mixin of the API)."""

    def truth(self) -> dict[str, Any]:
        """Everything a full sync emits now, keyed as the tap keys ATZ rows.

        A history row's id is ``<candidate slug>:<job slug>:<talent stage id>:<n>``, the n-th stay
        of the application in that stage; a derived application is ``<candidate slug>:<job
        slug>`` and its stage rows reuse the history ids. A visit runs from its ``stage_date``
        to the next row's, at 00:00 UTC.
        """
        account = self.accounts[0]
        w, _ = self._world()
        history, apps, stages, jobs = set(), set(), set(), set()
        visits = []
        for a in w.applications:
            cand, job = self.slug("candidate", a.candidate_id), self.slug("job", a.job_id)
            app_id = f"{cand}:{job}"
            apps.add(app_id)
            jobs.add(job)
            stays: Counter[str] = Counter()
            for i, v in enumerate(a.visits):
                stage = str(talent_id(w.stage(v.stage_id)))
                stays[stage] += 1
                history.add(f"{app_id}:{stage}:{stays[stage]}")
                stages.add(stage)
                nxt = a.visits[i + 1] if i + 1 < len(a.visits) else None
                visits.append({"account_id": account, "application_id": app_id,
                               "stage_id": stage,
                               "entered_at": midnight(day(v.entered_at)),
                               "exited_at": midnight(day(nxt.entered_at)) if nxt else None})

        def entry(ids: set[str]) -> dict[str, Any]:
            return truth_entry([(account, i, False) for i in ids])

        slugs = {j.id: self.slug("job", j.id) for j in w.jobs}
        team = {f"{slugs[j]}:{self._owner(w, j)}:other"
                for j in {a.job_id for a in w.applications}}
        out = {"candidates": entry({self.slug("candidate", c.id) for c in w.candidates}),
               "candidate_history": entry(history), "application_stages": entry(history),
               "applications": entry(apps), "job_stages": entry(stages), "jobs": entry(jobs),
               "job_hiring_team": entry(team),
               "interviews": entry({str(i.id) for i in w.interviews})}
        out["stage_visits"] = visits
        out["hires"] = []  # hires leave no history row (module docstring): the tap sees none
        return out

    def fields(self) -> dict[str, list[list[Any]]]:
        """Jobs' status from the history rows, and the talent stages: global, in funnel order."""
        account = self.accounts[0]
        w, _ = self._world()
        met = {a.job_id for a in w.applications}
        jobs = [[account, self.slug("job", j.id), {"status_raw": JOB_STATUS[j.status][1]}]
                for j in w.jobs if j.id in met]
        stages = {talent_id(w.stage(v.stage_id)): w.stage(v.stage_id).name
                  for a in w.applications for v in a.visits}
        team = [[account, f"{self.slug('job', j)}:{self._owner(w, j)}:other",
                 {"job_id": self.slug("job", j), "user_id": str(self._owner(w, j)),
                  "role": "other", "role_raw": "owner"}] for j in sorted(met)]
        return {"jobs": jobs, "job_stages": [
            [account, str(n), {"job_id": None, "name": name, "order": n - 1}]
            for n, name in sorted(stages.items())], "job_hiring_team": team,
            "interviews": [[account, str(i.id), self._interview_fields(w, i)]
                           for i in w.interviews]}

    def _interview_fields(self, w: World, i: Interview) -> dict[str, Any]:
        """What the tap must read from one interview's activity (times to the minute)."""
        app = w.applications.get(i.application_id)
        job = self.slug("job", i.job_id)

        def minute(t: dt.datetime) -> str:
            return f"{t:%Y-%m-%dT%H:%M}:00Z"

        return {"application_id": f"{self.slug('candidate', app.candidate_id)}:{job}",
                "job_id": job, "stage_id": None, "title": i.title,
                "status": "complete" if i.status == "complete" else "scheduled",
                "start_at": minute(i.start_at), "end_at": minute(i.end_at),
                "location": i.location, "organizer_id": str(i.organizer_id),
                "interviewer_ids": [str(u) for u in i.interviewer_ids]}
