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
scorecards, demographics, custom fields) draw from a second generator, ``World.extra``, and never
from ``World.rng``: the core tables of a seed, and what :meth:`World.advance` does to them, stay
exactly what they were before those entities existed, so the tests and benchmarks built on them
keep their numbers.
"""

from __future__ import annotations

import datetime as dt
import random

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

#: How far back a world's history reaches from its anchor: jobs open in its first 30%,
#: applications arrive over 40% to 95% of it (about ten weeks to six days before the anchor).
SPAN = dt.timedelta(days=112)
#: Nothing of the generated history comes closer to the anchor than this.
MARGIN = dt.timedelta(hours=1)

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

#: (name, parent name, external id): a small tree, parents first.
DEPARTMENTS = [("Engineering", None, "DEP-100"), ("Sales", None, "DEP-200"),
               ("Operations", None, "DEP-300"), ("People", None, "DEP-400"),
               ("Backend", "Engineering", "DEP-110"), ("Data", "Engineering", "DEP-120"),
               ("Product & Design", "Engineering", "DEP-130"),
               ("Account Management", "Sales", "DEP-210"), ("Support", "Operations", "DEP-310")]
#: A job's department follows its title, so that the tree reads sensibly.
TITLE_DEPARTMENT = {"Backend Engineer": "Backend", "Data Analyst": "Data", "Data Engineer": "Data",
                    "Product Manager": "Product & Design", "Designer": "Product & Design",
                    "Recruiter": "People", "Sales Executive": "Sales",
                    "Account Manager": "Account Management", "Support Specialist": "Support"}
#: (name, parent name, location, external id); regions are parents without a location.
OFFICES = [("Europe", None, None, "OFF-EU"), ("North America", None, None, "OFF-NA"),
           ("Remote", None, "Remote", "OFF-RM"), ("Berlin", "Europe", "Berlin, Germany", "OFF-BER"),
           ("London", "Europe", "London, United Kingdom", "OFF-LON"),
           ("New York", "North America", "New York, NY, United States", "OFF-NYC")]
#: Every name of SOURCES with its type (Greenhouse ``type.name``: social_media, referrals,
#: company_marketing, agencies, third_party_boards).
SOURCE_TYPES = {"LinkedIn": "social media", "Referral": "referral",
                "Careers page": "company marketing", "Agency": "agency", "Job board": "job board"}
#: Every name of REJECTION_REASONS with its unified type (Greenhouse "We rejected them" /
#: "They rejected us").
REJECTION_TYPES = {"Not a fit": "we_rejected", "Withdrew": "candidate_withdrew",
                   "Position filled": "we_rejected", "Lacks experience": "we_rejected"}
#: Hiring-team roles and the share of jobs that have someone in each.
HIRING_ROLES = [("hiring_manager", 0.95), ("recruiter", 0.9), ("coordinator", 0.6),
                ("sourcer", 0.4)]
RECOMMENDATIONS = ["strong_yes", "yes", "no", "strong_no", "no_decision"]
RATINGS = ["strong_yes", "yes", "mixed", "no", "strong_no"]
ATTRIBUTES = ["Communication", "Problem solving", "Technical depth", "Ownership", "Collaboration",
              "Culture add"]
NOTES = ["Clear thinker, would hire.", "Struggled with the design question.",
         "Good examples of ownership; check references.", "Not enough depth for the level."]
#: EEOC answers as Merge spells its enums (RaceEnum, GenderEnum, VeteranStatusEnum,
#: DisabilityStatusEnum), each with the label a Greenhouse form shows (``EEOC_LABELS``).
RACES = ["AMERICAN_INDIAN_OR_ALASKAN_NATIVE", "ASIAN", "BLACK_OR_AFRICAN_AMERICAN",
         "HISPANIC_OR_LATINO", "WHITE", "NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER",
         "TWO_OR_MORE_RACES", "DECLINE_TO_SELF_IDENTIFY"]
GENDERS = ["MALE", "FEMALE", "NON-BINARY", "DECLINE_TO_SELF_IDENTIFY"]
VETERAN_STATUSES = ["I_AM_NOT_A_PROTECTED_VETERAN",
                    "I_IDENTIFY_AS_ONE_OR_MORE_OF_THE_CLASSIFICATIONS_OF_A_PROTECTED_VETERAN",
                    "I_DONT_WISH_TO_ANSWER"]
DISABILITY_STATUSES = ["YES_I_HAVE_A_DISABILITY_OR_PREVIOUSLY_HAD_A_DISABILITY",
                       "NO_I_DONT_HAVE_A_DISABILITY", "I_DONT_WISH_TO_ANSWER"]
EEOC_LABELS = {
    "AMERICAN_INDIAN_OR_ALASKAN_NATIVE": "American Indian or Alaskan Native", "ASIAN": "Asian",
    "BLACK_OR_AFRICAN_AMERICAN": "Black or African American",
    "HISPANIC_OR_LATINO": "Hispanic or Latino", "WHITE": "White",
    "NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER": "Native Hawaiian or Other Pacific Islander",
    "TWO_OR_MORE_RACES": "Two or More Races",
    "DECLINE_TO_SELF_IDENTIFY": "Decline To Self Identify",
    "MALE": "Male", "FEMALE": "Female", "NON-BINARY": "Non-binary",
    "I_AM_NOT_A_PROTECTED_VETERAN": "I am not a protected veteran",
    "I_IDENTIFY_AS_ONE_OR_MORE_OF_THE_CLASSIFICATIONS_OF_A_PROTECTED_VETERAN":
        "I identify as one or more of the classifications of protected veteran",
    "I_DONT_WISH_TO_ANSWER": "I don't wish to answer",
    "YES_I_HAVE_A_DISABILITY_OR_PREVIOUSLY_HAD_A_DISABILITY":
        "Yes, I have a disability (or previously had a disability)",
    "NO_I_DONT_HAVE_A_DISABILITY": "No, I don't have a disability",
}
#: (object type, key, name, field type, options, active), in definition id order.
CUSTOM_FIELDS = [
    ("application", "referral_bonus", "Referral bonus eligible", "boolean", [], True),
    ("application", "screening_score", "Screening score", "number", [], True),
    ("application", "work_authorization", "Work authorization", "single_select",
     ["Citizen", "Visa required", "Not sure"], True),
    ("candidate", "linkedin_handle", "LinkedIn handle", "short_text", [], True),
    ("candidate", "notice_period", "Notice period", "single_select",
     ["Immediate", "2 weeks", "1 month", "3 months"], True),
    ("candidate", "available_from", "Available from", "date", [], True),
    ("job", "cost_center", "Cost center", "short_text", [], True),
    ("job", "employment_type", "Employment type", "single_select",
     ["Full-time", "Part-time", "Contract"], True),
    ("job", "headcount", "Headcount", "number", [], True),
    ("job", "remote_ok", "Remote OK", "boolean", [], True),
    ("job", "legacy_band", "Legacy band", "short_text", [], False),
    ("offer", "salary", "Salary", "number", [], True),
    ("offer", "currency", "Currency", "single_select", ["EUR", "USD", "GBP"], True),
    ("offer", "start_confirmed", "Start date confirmed", "date", [], True),
]


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


class World:
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

    def _reference_data(self) -> None:
        """The fixed lists every record points into; they draw nothing at random.

        Departments, offices, sources, rejection reasons and custom field definitions.
        """
        depts: dict[str, int] = {}
        for name, parent, external in DEPARTMENTS:
            depts[name] = self._next_id("department")
            self.departments.append(Department(depts[name], name, depts.get(parent), external,
                                               self.start, self.start))
        self.department_of_title = {title: depts[name] for title, name in TITLE_DEPARTMENT.items()}
        offices: dict[str, int] = {}
        for name, parent, location, external in OFFICES:
            offices[name] = self._next_id("office")
            self.offices.append(Office(offices[name], name, offices.get(parent), location, external,
                                       self.start, self.start))
        self.source_ids: dict[str, int] = {}
        for name in SOURCES:
            self.source_ids[name] = self._next_id("source")
            self.sources.append(Source(self.source_ids[name], name, SOURCE_TYPES[name], self.start,
                                       self.start))
        self.rejection_reason_ids: dict[str, int] = {}
        for name in REJECTION_REASONS:
            self.rejection_reason_ids[name] = self._next_id("rejection_reason")
            self.rejection_reasons.append(RejectionReason(
                self.rejection_reason_ids[name], name, REJECTION_TYPES[name], self.start,
                self.start))
        self._active_fields: dict[str, list[CustomFieldDefinition]] = {}
        for object_type, key, name, kind, options, active in CUSTOM_FIELDS:
            self.custom_field_definitions.append(CustomFieldDefinition(
                self._next_id("custom_field"), object_type, key, name, kind, options, active,
                self.start, self.start))
            if active:
                self._active_fields.setdefault(object_type, []).append(
                    self.custom_field_definitions[-1])

    def _custom_values(self, object_type: str) -> dict[str, object]:
        """Values for about 70% of the active fields of ``object_type``, JSON-ready."""
        extra, values = self.extra, {}
        for d in self._active_fields[object_type]:
            if extra.random() >= 0.7:
                continue
            if d.field_type == "single_select":
                values[d.key] = extra.choice(d.options)
            elif d.field_type == "number":
                values[d.key] = extra.randint(1, 100) * (1000 if d.key == "salary" else 1)
            elif d.field_type == "date":
                day = self.start + dt.timedelta(days=extra.randint(0, 540))
                values[d.key] = day.date().isoformat()
            elif d.field_type == "boolean":
                values[d.key] = extra.random() < 0.5
            else:
                values[d.key] = f"{d.key.replace('_', '-')}-{extra.randint(100, 999)}"
        return values

    def _furnish_job(self, job: Job) -> None:
        """Department (by title), one or two offices, custom fields and a hiring team."""
        extra = self.extra
        job.department_id = self.department_of_title[job.name.rsplit(" ", 1)[0]]
        leaves = [o.id for o in self.offices if o.location is not None]
        job.office_ids = sorted(extra.sample(leaves, extra.randint(1, 2)))
        job.custom_fields = self._custom_values("job")
        active = [u.id for u in self.people if u.active]
        for role, share in HIRING_ROLES:
            if extra.random() < share:
                self.hiring_team.append(HiringTeamMember(
                    self._next_id("hiring_team"), job.id, extra.choice(active), role,
                    job.created_at, job.created_at))

    def _furnish_application(self, app: Application, cand: Candidate, at: dt.datetime) -> None:
        """Source id, custom fields, and EEOC answers for about 60% of applications."""
        extra = self.extra
        app.source_id = self.source_ids[app.source]
        app.custom_fields = self._custom_values("application")
        cand.custom_fields = self._custom_values("candidate")
        if extra.random() < 0.6:
            self._own(app.id, self.demographics, Demographic(
                self._next_id("demographic"), app.id, cand.id,
                race=extra.choices(RACES, [1, 6, 5, 5, 10, 1, 2, 4])[0],
                gender=extra.choices(GENDERS, [10, 10, 1, 3])[0],
                veteran_status=extra.choices(VETERAN_STATUSES, [15, 1, 3])[0],
                disability_status=extra.choices(DISABILITY_STATUSES, [2, 15, 3])[0],
                submitted_at=at, created_at=at, updated_at=at))

    def _own(self, app_id: int, table: Table, record: Offer | Scorecard | Demographic) -> None:
        """Add a record that belongs to an application (and is deleted with it)."""
        table.append(record)
        self._dependents.setdefault(app_id, []).append(record)

    def _add_offer(self, app: Application, at: dt.datetime, version: int, status: str) -> Offer:
        """Add version ``version`` of the application's offer, made at ``at``."""
        offer = Offer(self._next_id("offer"), app.id, app.candidate_id, app.job_id, version,
                      status, at if status == "sent" else None, None,
                      (at + dt.timedelta(days=self.extra.randint(14, 60))).date(),
                      self._custom_values("offer"), at, at)
        app.offers.append(offer)
        self._own(app.id, self.offers, offer)
        return offer

    def _make_offer(self, app: Application, at: dt.datetime) -> None:
        """The offer made on entering the last stage: sent, as :meth:`advance` makes it.

        In the generated past it is sometimes a draft, and sometimes revised within the hour:
        before any hire or rejection, which come an hour or more later.
        """
        extra = self.extra
        historic = at < self.anchor
        status = "draft" if historic and extra.random() < 0.25 else "sent"
        offer = self._add_offer(app, at, 1, status)
        if historic and extra.random() < 0.2:
            revised = at + dt.timedelta(minutes=extra.randint(5, 55))
            offer.status, offer.updated_at = "deprecated", revised
            self._add_offer(app, revised, 2, "sent")

    def _resolve_offer(self, app: Application, status: str, at: dt.datetime) -> None:
        """Settle the current offer: accepted on a hire, declined or deprecated on a rejection.

        A hire always follows the move into the last stage, which made the offer.
        """
        offer = app.offers[-1]
        offer.status, offer.updated_at = status, at
        if status != "deprecated":
            offer.sent_at = offer.sent_at or offer.created_at
            offer.resolved_at = at

    def _score(self, interview: Interview, candidate_id: int) -> None:
        """Scorecards for a complete interview: one per panelist, about 15% never submitted."""
        extra = self.extra
        for user in interview.interviewer_ids:
            if extra.random() < 0.15:
                continue
            at = interview.end_at + dt.timedelta(minutes=extra.randint(10, 48 * 60))
            self._own(interview.application_id, self.scorecards, Scorecard(
                self._next_id("scorecard"), interview.id, interview.application_id,
                candidate_id, interview.job_id, user, at, extra.choice(RECOMMENDATIONS),
                [(name, extra.choice(RATINGS))
                 for name in extra.sample(ATTRIBUTES, extra.randint(2, 4))],
                extra.choice(NOTES) if extra.random() < 0.6 else None, at, at))

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
