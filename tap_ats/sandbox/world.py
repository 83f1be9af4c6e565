"""One deterministic hiring world per provider account, in provider-neutral form.

Every provider's wire module renders these objects (:mod:`tap_ats.sandbox.records`) in its own
format, so all four APIs serve the same jobs, candidates, applications, stage visits and
interviews. The world lives in the present: its history is generated over the ``SPAN`` before
its ``anchor`` (the run's now, fixed when the world is made), applications arriving over the
weeks before it and moving on days apart, and nothing is stamped after the anchor. A seed and an
anchor always give the same world, and the same seed at another anchor the same world shifted
in time. Changes made by :meth:`World.advance` are stamped with the wall clock, as a live API
stamps them: the same clock, just after the history ends.

The analytics entities (departments, offices, sources, rejection reasons, hiring teams, offers,
scorecards, demographics, custom fields: :mod:`tap_ats.sandbox.entities`) draw from a second
generator, ``World.extra``, and never from ``World.rng``: the core tables of a seed, and what
:meth:`World.advance` does to them, stay exactly what they were before those entities existed,
so the tests and benchmarks built on them keep their numbers.
"""

from __future__ import annotations

import datetime as dt
import random

from tap_ats.sandbox.entities import Entities
from tap_ats.sandbox.records import (
    Application,
    Candidate,
    CustomFieldDefinition,
    Demographic,
    Department,
    HiringTeamMember,
    Interview,
    Job,
    Offer,
    Office,
    Panelist,
    RejectionReason,
    Scorecard,
    Source,
    Stage,
    Table,
    User,
    Visit,
)
from tap_ats.sandbox.vocabulary import (
    ATTRIBUTES,
    CUSTOM_FIELDS,
    DISABILITY_STATUSES,
    EEOC_LABELS,
    FIRST_NAMES,
    GENDERS,
    JOB_TITLES,
    LAST_NAMES,
    LOCATIONS,
    RACES,
    REJECTION_REASONS,
    REJECTION_TYPES,
    SOURCES,
    STAGE_NAMES,
    VETERAN_STATUSES,
)

#: What the wire modules and tests import from here: the world, its records and vocabulary.
__all__ = ["ATTRIBUTES", "CUSTOM_FIELDS", "DISABILITY_STATUSES", "EEOC_LABELS", "GENDERS",
           "MARGIN", "RACES", "SPAN", "STAGE_NAMES", "VETERAN_STATUSES", "Application",
           "Candidate", "CustomFieldDefinition", "Demographic", "Department", "HiringTeamMember",
           "Interview", "Job", "Offer", "Office", "Panelist", "RejectionReason", "Scorecard",
           "Source", "Stage", "Table", "User", "Visit", "World", "make_user", "now"]

#: How far back a world's history reaches from its anchor: jobs open in its first 30%,
#: applications arrive over 40% to 95% of it (about ten weeks to six days before the anchor).
SPAN = dt.timedelta(days=112)
#: Nothing of the generated history comes closer to the anchor than this.
MARGIN = dt.timedelta(hours=1)



def now() -> dt.datetime:
    """Return the wall clock in UTC, truncated to milliseconds as APIs report it."""
    t = dt.datetime.now(dt.UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def make_user(n: int, start: dt.datetime) -> User:
    """User ``n`` of every world, made ``n`` days after ``start``.

    Fixed, so that generating a world draws no random number. Every tenth user is deactivated,
    as people leave while their interviews stay.
    """
    first = FIRST_NAMES[(n * 7) % len(FIRST_NAMES)]
    last = LAST_NAMES[(n * 11) % len(LAST_NAMES)]
    at = start + dt.timedelta(days=n)
    return User(n, first, last, f"{first.lower()}.{last.lower()}@hiring.example.com",
                n % 10 != 0, at, at)


class World(Entities):
    """A hiring world of ``applications`` applications, generated from ``seed``.

    ``anchor`` is the present the history leads up to (default: :func:`now`); a sandbox gives
    all its worlds one anchor, so that they share one clock.
    """

    def __init__(self, seed: int, applications: int, anchor: dt.datetime | None = None) -> None:
        self.anchor = anchor or now()
        self.start = self.anchor - SPAN
        self.rng = random.Random(seed)
        self.jobs = Table()
        self.stages = Table()
        self.candidates = Table()
        self.applications = Table()
        self.visits = Table()
        self.interviews = Table()
        self.panel = Table()
        self.users = list(range(1, 21))
        self.people = Table(make_user(n, self.start) for n in self.users)
        self._ids = {"job": 0, "stage": 0, "candidate": 0, "application": 0, "visit": 0,
                     "interview": 0, "panelist": 0, "department": 0, "office": 0, "source": 0,
                     "rejection_reason": 0, "hiring_team": 0, "offer": 0, "scorecard": 0,
                     "demographic": 0, "custom_field": 0}
        self.extra = random.Random(f"entities:{seed}")
        self.departments = Table()
        self.offices = Table()
        self.sources = Table()
        self.rejection_reasons = Table()
        self.hiring_team = Table()
        self.offers = Table()
        self.scorecards = Table()
        self.demographics = Table()
        self.custom_field_definitions = Table()
        #: Offers, scorecards and demographics by application id: deleted with it.
        self._dependents: dict[int, list[Offer | Scorecard | Demographic]] = {}
        self._reference_data()
        self._generate(applications)

    def _next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _past(self, lo: float = 0.0, hi: float = 1.0) -> dt.datetime:
        """A millisecond timestamp inside the history's span, between fractions lo and hi."""
        ms = int(self.rng.uniform(lo, hi) * SPAN.total_seconds() * 1000)
        return self.start + dt.timedelta(milliseconds=ms)

    def _generate(self, n_applications: int) -> None:
        rng = self.rng
        n_jobs = max(3, n_applications // 40)
        for j in range(n_jobs):
            opened = self._past(0.0, 0.3)
            status = rng.choices(["open", "closed", "draft"], [7, 2, 1])[0]
            job = Job(
                id=self._next_id("job"), name=f"{rng.choice(JOB_TITLES)} {j + 1}",
                code=f"REQ-{1000 + j}", status=status, opened_at=opened,
                closed_at=self._past(0.9, 1.0) if status == "closed" else None,
                created_at=opened, updated_at=self._past(0.3, 0.4),
            )
            self._furnish_job(job)
            for order, name in enumerate(STAGE_NAMES):
                stage = Stage(self._next_id("stage"), job.id, name, order, True, opened, opened)
                job.stages.append(stage)
                self.stages.append(stage)
            self.jobs.append(job)
        for _ in range(n_applications):
            self._new_application(self._past(0.4, 0.95))

    def _new_candidate(self, at: dt.datetime) -> Candidate:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        cid = self._next_id("candidate")
        cand = Candidate(
            id=cid, first_name=first, last_name=last,
            email=f"{first.lower()}.{last.lower()}.{cid}@example.com",
            phone=f"+4930{cid:07d}", company=rng.choice(["Acme", "Globex", "Initech", "Umbrella"]),
            title=rng.choice(JOB_TITLES), tags=rng.sample(["senior", "remote", "referral", "fast"],
                                                          rng.randint(0, 2)),
            created_at=at, updated_at=at,
        )
        self.candidates.append(cand)
        return cand

    def _new_application(self, at: dt.datetime, *, historic: bool = True) -> Application:
        """Add a candidate and an application; historic ones get a past path through stages.

        A historic path (moves hours to ten days apart, then maybe a rejection or a hire, and an
        interview) is drawn first; an application whose path would run past the anchor applied
        that much earlier, so that the history never reaches into the future.
        """
        rng = self.rng
        if historic:
            moves = rng.randint(1, len(STAGE_NAMES)) - 1
            gaps = [dt.timedelta(hours=rng.randint(4, 240)) for _ in range(moves)]
            roll, settle = rng.random(), dt.timedelta(hours=rng.randint(1, 72))
            interview = rng.random() < 0.5
            at = min(at, self.anchor - MARGIN - settle - sum(gaps, dt.timedelta()))
        cand = self._new_candidate(at)
        job = self.jobs[rng.randrange(len(self.jobs))]
        app = Application(
            id=self._next_id("application"), candidate_id=cand.id, job_id=job.id,
            status="active", source=rng.choice(SOURCES), created_at=at, updated_at=at, visits=[],
        )
        self._furnish_application(app, cand, at)
        self._enter(app, job.stages[0], at)
        if historic:
            t = at
            for stage, gap in zip(job.stages[1:], gaps, strict=False):
                t = t + gap
                self._move(app, stage, t)
            if roll < 0.15:
                self._reject(app, t + settle)
            elif roll < 0.2 and app.current.stage_id == job.stages[-1].id:
                self._hire(app, t + settle)
            if interview:
                self._schedule(app, t + dt.timedelta(hours=1))
        self.applications.append(app)
        return app

    def _enter(self, app: Application, stage: Stage, at: dt.datetime) -> None:
        app.visits.append(Visit(self._next_id("visit"), app.id, stage.id, at, None, at, at,
                                self.rng.choice(self.users)))
        self.visits.append(app.visits[-1])
        app.updated_at = at

    def _move(self, app: Application, stage: Stage, at: dt.datetime) -> None:
        cur = app.current
        cur.exited_at = at
        cur.updated_at = at
        self._enter(app, stage, at)
        if stage.order == len(STAGE_NAMES) - 1:  # every job's plan is STAGE_NAMES
            self._make_offer(app, at)

    def _reject(self, app: Application, at: dt.datetime) -> None:
        app.status, app.rejected_at = "rejected", at
        app.rejection_reason = self.rng.choice(REJECTION_REASONS)
        app.updated_at = at
        app.rejection_reason_id = self.rejection_reason_ids[app.rejection_reason]
        if app.offers and app.offers[-1].status in ("draft", "sent"):
            withdrew = REJECTION_TYPES[app.rejection_reason] == "candidate_withdrew"
            sent = app.offers[-1].status == "sent"
            self._resolve_offer(app, "declined" if withdrew and sent else "deprecated", at)

    def _hire(self, app: Application, at: dt.datetime) -> None:
        app.status = "hired"
        app.updated_at = at
        self._resolve_offer(app, "accepted", at)

    def _schedule(self, app: Application, at: dt.datetime) -> None:
        """An interview two days after ``at``.

        Complete (and scored) if its scorecards, due up to two days after it ends, are all in
        before the anchor; else still to come.
        """
        rng = self.rng
        due = at + dt.timedelta(days=4, hours=1)
        status = "complete" if due <= self.anchor else "scheduled"
        stage = app.current.stage_id
        self.interviews.append(Interview(
            id=self._next_id("interview"), application_id=app.id, job_id=app.job_id,
            stage_id=stage, title=f"Interview for application {app.id}", status=status,
            start_at=at + dt.timedelta(days=2), end_at=at + dt.timedelta(days=2, hours=1),
            location=rng.choice(LOCATIONS), organizer_id=rng.choice(self.users),
            interviewer_ids=sorted(rng.sample(self.users, rng.randint(1, 3))),
            created_at=at, updated_at=at,
        ))
        interview = self.interviews[-1]
        self.panel.extend(Panelist(self._next_id("panelist"), interview.id, user, at, at)
                          for user in interview.interviewer_ids)
        if status == "complete":
            self._score(interview, app.candidate_id)

    def user(self, user_id: int) -> User:
        """The user with this id."""
        return self.people.get(user_id)

    def job(self, job_id: int) -> Job:
        """The job with this id."""
        return self.jobs.get(job_id)

    def stage(self, stage_id: int) -> Stage:
        """The stage with this id."""
        return self.stages.get(stage_id)

    def advance(self, changes: int) -> dict[str, int]:
        """Make ``changes`` changes now, each to a different live application.

        Kinds: stage moves, hires, rejections, new applications, deletions. One application changes
        at most once per call, so a sync between two calls observes every stage visit. The
        analytics entities follow: a move into the last stage sends an offer, a hire accepts it,
        a rejection names its reason and settles an open offer, a new application gets its
        source and maybe EEOC answers, a deletion deletes the application's offers, scorecards and
        answers (interviews scheduled now are not complete, so they get no scorecards yet).
        """
        rng = self.rng
        done = {"move": 0, "hire": 0, "reject": 0, "new": 0, "delete": 0, "interview": 0}
        live = [a for a in self.applications if a.deleted_at is None and a.status == "active"]
        rng.shuffle(live)
        for i in range(changes):
            at = now()
            kind = rng.choices(["move", "hire", "reject", "new", "delete", "interview"],
                               [45, 10, 15, 15, 10, 5])[0]
            if kind != "new" and i >= len(live):
                kind = "new"
            if kind == "new":
                self._new_application(at, historic=False)
            else:
                app = live[i]
                stages = self.job(app.job_id).stages
                pos = next(k for k, s in enumerate(stages) if s.id == app.current.stage_id)
                if kind == "move" and pos + 1 < len(stages):
                    self._move(app, stages[pos + 1], at)
                elif kind == "hire" or kind == "move":
                    kind = "hire"
                    if pos + 1 < len(stages):
                        self._move(app, stages[-1], at)
                    self._hire(app, at)
                elif kind == "reject":
                    self._reject(app, at)
                elif kind == "delete":
                    app.deleted_at = at
                    app.updated_at = at
                    for record in self._dependents.get(app.id, []):
                        record.deleted_at = record.updated_at = at
                else:
                    self._schedule(app, at)
                    app.updated_at = at
            done[kind] += 1
        return done
