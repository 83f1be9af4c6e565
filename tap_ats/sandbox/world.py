"""One deterministic hiring world per provider account, in provider-neutral form.

Every provider's wire module renders these objects in its own format, so all four APIs serve the
same jobs, candidates, applications, stage visits and interviews. History is generated inside a
fixed past year (so a seed always gives the same world); changes made by :meth:`World.advance`
are stamped with the wall clock, as a live API stamps them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field

EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = 365 * 24 * 3600

STAGE_NAMES = ["Application Review", "Phone Screen", "Technical Interview", "Onsite", "Offer"]
JOB_TITLES = ["Backend Engineer", "Data Analyst", "Product Manager", "Recruiter", "Designer",
              "Sales Executive", "Support Specialist", "Data Engineer", "Account Manager"]
FIRST_NAMES = ["Ada", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun",
               "Kofi", "Lena", "Mo", "Nia", "Omar", "Pia", "Quinn", "Rui", "Sara", "Tom"]
LAST_NAMES = ["Okafor", "Schmidt", "Tanaka", "Silva", "Novak", "Khan", "Dubois", "Rossi",
              "Larsen", "Moreau", "Ivanova", "Garcia", "Nguyen", "Haddad", "Berg"]
SOURCES = ["LinkedIn", "Referral", "Careers page", "Agency", "Job board"]
REJECTION_REASONS = ["Not a fit", "Withdrew", "Position filled", "Lacks experience"]
LOCATIONS = ["Berlin", "Remote", "London", "New York", "Video call"]


def now() -> dt.datetime:
    """Return the wall clock in UTC, truncated to milliseconds as APIs report it."""
    t = dt.datetime.now(dt.UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


@dataclass(slots=True)
class Stage:
    """One stage of a job's hiring plan."""

    id: int
    job_id: int
    name: str
    order: int
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(slots=True)
class Job:
    """A requisition with its ordered stages."""

    id: int
    name: str
    code: str
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    stages: list[Stage] = field(default_factory=list)
    deleted_at: dt.datetime | None = None


@dataclass(slots=True)
class Candidate:
    """A person."""

    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str
    title: str
    tags: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None


@dataclass(slots=True)
class User:
    """A person on the hiring side: recruiter, organizer, interviewer."""

    id: int
    first_name: str
    last_name: str
    email: str
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


def make_user(n: int) -> User:
    """User ``n`` of every world: fixed, so that generating a world draws no random number.

    Every tenth user is deactivated, as people leave while their interviews stay.
    """
    first = FIRST_NAMES[(n * 7) % len(FIRST_NAMES)]
    last = LAST_NAMES[(n * 11) % len(LAST_NAMES)]
    at = EPOCH + dt.timedelta(days=n)
    return User(n, first, last, f"{first.lower()}.{last.lower()}@hiring.example.com",
                n % 10 != 0, at, at)


@dataclass(slots=True)
class Visit:
    """One stay of an application in one stage."""

    id: int
    application_id: int
    stage_id: int
    entered_at: dt.datetime
    exited_at: dt.datetime | None
    updated_at: dt.datetime
    created_at: dt.datetime
    updated_by: int


@dataclass(slots=True)
class Application:
    """One candidate's application to one job, with its stage history."""

    id: int
    candidate_id: int
    job_id: int
    status: str
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime
    visits: list[Visit]
    rejected_at: dt.datetime | None = None
    rejection_reason: str | None = None
    deleted_at: dt.datetime | None = None

    @property
    def current(self) -> Visit:
        """The visit the application is in now."""
        return self.visits[-1]


@dataclass(slots=True)
class Interview:
    """A scheduled interview on an application."""

    id: int
    application_id: int
    job_id: int
    stage_id: int
    title: str
    status: str
    start_at: dt.datetime
    end_at: dt.datetime
    location: str
    organizer_id: int
    interviewer_ids: list[int]
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None


@dataclass(slots=True)
class Panelist:
    """One interviewer on one interview's panel (Greenhouse keeps these apart from interviews)."""

    id: int
    interview_id: int
    user_id: int
    created_at: dt.datetime
    updated_at: dt.datetime


class Table(list):
    """Records sorted by ascending id, with a keyset lookup for cursors."""

    def index_after(self, last_id: int | None) -> int:
        """Position of the first record whose id is greater than ``last_id``."""
        if last_id is None:
            return 0
        return bisect.bisect_right(self, last_id, key=lambda r: r.id)

    def index_before(self, last_id: int | None) -> int:
        """One past the position of the last record whose id is smaller than ``last_id``."""
        if last_id is None:
            return len(self)
        return bisect.bisect_left(self, last_id, key=lambda r: r.id)

    def get(self, record_id: int) -> object | None:
        """The record with this id, if any."""
        i = bisect.bisect_left(self, record_id, key=lambda r: r.id)
        return self[i] if i < len(self) and self[i].id == record_id else None


class World:
    """A hiring world of ``applications`` applications, generated from ``seed``."""

    def __init__(self, seed: int, applications: int) -> None:
        self.rng = random.Random(seed)
        self.jobs = Table()
        self.stages = Table()
        self.candidates = Table()
        self.applications = Table()
        self.visits = Table()
        self.interviews = Table()
        self.panel = Table()
        self.users = list(range(1, 21))
        self.people = Table(make_user(n) for n in self.users)
        self._ids = {"job": 0, "stage": 0, "candidate": 0, "application": 0, "visit": 0,
                     "interview": 0, "panelist": 0}
        self._generate(applications)

    def _next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _past(self, lo: float = 0.0, hi: float = 1.0) -> dt.datetime:
        """A millisecond timestamp inside the fixed past year, between fractions lo and hi."""
        ms = int(self.rng.uniform(lo, hi) * SPAN_SECONDS * 1000)
        return EPOCH + dt.timedelta(milliseconds=ms)

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
        """Add a candidate and an application; historic ones get a past path through stages."""
        rng = self.rng
        cand = self._new_candidate(at)
        job = self.jobs[rng.randrange(len(self.jobs))]
        app = Application(
            id=self._next_id("application"), candidate_id=cand.id, job_id=job.id,
            status="active", source=rng.choice(SOURCES), created_at=at, updated_at=at, visits=[],
        )
        self._enter(app, job.stages[0], at)
        if historic:
            t = at
            for stage in job.stages[1:rng.randint(1, len(job.stages))]:
                t = t + dt.timedelta(hours=rng.randint(4, 240))
                self._move(app, stage, t)
            roll = rng.random()
            if roll < 0.15:
                self._reject(app, t + dt.timedelta(hours=rng.randint(1, 72)))
            elif roll < 0.2 and app.current.stage_id == job.stages[-1].id:
                self._hire(app, t + dt.timedelta(hours=rng.randint(1, 72)))
            if rng.random() < 0.5:
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

    def _reject(self, app: Application, at: dt.datetime) -> None:
        app.status, app.rejected_at = "rejected", at
        app.rejection_reason = self.rng.choice(REJECTION_REASONS)
        app.updated_at = at

    def _hire(self, app: Application, at: dt.datetime) -> None:
        app.status = "hired"
        app.updated_at = at

    def _schedule(self, app: Application, at: dt.datetime) -> None:
        rng = self.rng
        status = "complete" if at < EPOCH + dt.timedelta(seconds=SPAN_SECONDS) else "scheduled"
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
        at most once per call, so a sync between two calls observes every stage visit.
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
                else:
                    self._schedule(app, at)
                    app.updated_at = at
            done[kind] += 1
        return done
