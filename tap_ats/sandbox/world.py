"""One deterministic hiring world per provider account, in provider-neutral form.

Every provider's wire module renders these objects in its own format, so all four APIs serve the
same jobs, candidates, applications, stage visits and interviews. History is generated inside a
fixed past year (so a seed always gives the same world); changes made by :meth:`World.advance`
are stamped with the wall clock, as a live API stamps them.

The analytics entities (departments, offices, sources, rejection reasons, hiring teams, offers,
scorecards, demographics, custom fields) draw from a second generator, ``World.extra``, and never
from ``World.rng``: the core tables of a seed, and what :meth:`World.advance` does to them, stay
exactly what they were before those entities existed, so the tests and benchmarks built on them
keep their numbers.
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
END = EPOCH + dt.timedelta(seconds=SPAN_SECONDS)

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
    #: Greenhouse gives one ``department_id``, Merge a ``departments`` list: render as needed.
    department_id: int | None = None
    office_ids: list[int] = field(default_factory=list)
    #: Custom field key -> JSON-ready value (see :class:`CustomFieldDefinition`).
    custom_fields: dict[str, object] = field(default_factory=dict)


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
    custom_fields: dict[str, object] = field(default_factory=dict)


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
    #: The :class:`Source` named ``source``.
    source_id: int | None = None
    #: The :class:`RejectionReason` named ``rejection_reason``, once rejected.
    rejection_reason_id: int | None = None
    custom_fields: dict[str, object] = field(default_factory=dict)
    #: Every version of its offer, oldest first (the last is the current one).
    offers: list[Offer] = field(default_factory=list)

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


@dataclass(slots=True)
class Department:
    """A department; top-level ones have no parent.

    Greenhouse ``/v3/departments``, Merge ``/departments``; Kombo only names one per job.
    """

    id: int
    name: str
    parent_id: int | None
    external_id: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(slots=True)
class Office:
    """An office (Greenhouse ``/v3/offices``, Merge ``/offices``; Kombo only a job's location).

    Regions are parents with no location of their own.
    """

    id: int
    name: str
    parent_id: int | None
    location: str | None
    external_id: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(slots=True)
class Source:
    """Where applications come from: one per name in ``SOURCES``, ``type`` from ``SOURCE_TYPES``."""

    id: int
    name: str
    type: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(slots=True)
class RejectionReason:
    """A rejection reason, one per name in ``REJECTION_REASONS``.

    ``type`` is the unified ``we_rejected`` or ``candidate_withdrew`` (Greenhouse type names
    "We rejected them" / "They rejected us"; Merge reject reasons carry a name only).
    """

    id: int
    name: str
    type: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(slots=True)
class HiringTeamMember:
    """One user in one role on one job's hiring team.

    ``role``: hiring_manager, recruiter, coordinator or sourcer; a job may lack any of them.
    Greenhouse lists these per job, Merge as ``jobs[].hiring_managers`` / ``recruiters``, Kombo as
    ``jobs[].hiring_team``. The unified id is ``<job_id>:<user_id>:<role>``; ``id`` here only
    keeps the table ordered.
    """

    id: int
    job_id: int
    user_id: int
    role: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(slots=True)
class Offer:
    """One version of the offer on an application that reached its job's last stage.

    ``status``: draft, sent, accepted, declined or deprecated. A revision deprecates the current
    version and adds the next (Greenhouse keeps versions as separate offers). Greenhouse:
    draft/sent -> ``unresolved`` (sent_at tells them apart), accepted -> ``accepted``,
    declined -> ``rejected``, deprecated -> ``deprecated``. Merge OfferStatusEnum: draft ->
    ``DRAFT``, sent -> ``SENT``, accepted -> ``SIGNED``, declined -> ``DENIED``, deprecated ->
    ``DEPRECATED``. ``resolved_at`` is set when accepted or declined.
    """

    id: int
    application_id: int
    candidate_id: int
    job_id: int
    version: int
    status: str
    sent_at: dt.datetime | None
    resolved_at: dt.datetime | None
    starts_at: dt.date
    custom_fields: dict[str, object]
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None


@dataclass(slots=True)
class Scorecard:
    """One interviewer's scorecard for a complete interview, submitted after it ended.

    ``overall_recommendation``: strong_yes, yes, no, strong_no, no_decision (Greenhouse
    ``strong_yes``/``yes``/``no``/``definitely_not``/``no_decision``; Merge
    OverallRecommendationEnum ``STRONG_YES``/``YES``/``NO``/``DEFINITELY_NO``/``NO_DECISION``).
    ``ratings`` holds (attribute name, rating) pairs with ratings from ``RATINGS`` (Greenhouse
    words strong_no as ``definitely_not``; Merge has no attribute ratings). ``notes`` is free
    text or None.
    """

    id: int
    interview_id: int
    application_id: int
    candidate_id: int
    job_id: int
    interviewer_id: int
    submitted_at: dt.datetime
    overall_recommendation: str
    ratings: list[tuple[str, str]]
    notes: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None


@dataclass(slots=True)
class Demographic:
    """The EEOC answers given with one application (Greenhouse ``/v3/eeoc``, Merge ``/eeocs``).

    Values are Merge enum names (``RACES``, ``GENDERS``, ``VETERAN_STATUSES``,
    ``DISABILITY_STATUSES``); ``EEOC_LABELS`` gives the words a Greenhouse form shows.
    """

    id: int
    application_id: int
    candidate_id: int
    race: str
    gender: str
    veteran_status: str
    disability_status: str
    submitted_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None


@dataclass(slots=True)
class CustomFieldDefinition:
    """A customer-defined field on applications, candidates, jobs or offers.

    ``field_type``: short_text, single_select (``options`` lists the choices), number, date or
    boolean. Records carry values in ``custom_fields`` by ``key``, JSON-ready: str, int, bool, or
    a date as ``YYYY-MM-DD``. Not every record has every field; an inactive field has no values.
    """

    id: int
    object_type: str
    key: str
    name: str
    field_type: str
    options: list[str]
    active: bool
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
                                               EPOCH, EPOCH))
        self.department_of_title = {title: depts[name] for title, name in TITLE_DEPARTMENT.items()}
        offices: dict[str, int] = {}
        for name, parent, location, external in OFFICES:
            offices[name] = self._next_id("office")
            self.offices.append(Office(offices[name], name, offices.get(parent), location, external,
                                       EPOCH, EPOCH))
        self.source_ids: dict[str, int] = {}
        for name in SOURCES:
            self.source_ids[name] = self._next_id("source")
            self.sources.append(Source(self.source_ids[name], name, SOURCE_TYPES[name], EPOCH,
                                       EPOCH))
        self.rejection_reason_ids: dict[str, int] = {}
        for name in REJECTION_REASONS:
            self.rejection_reason_ids[name] = self._next_id("rejection_reason")
            self.rejection_reasons.append(RejectionReason(
                self.rejection_reason_ids[name], name, REJECTION_TYPES[name], EPOCH, EPOCH))
        self._active_fields: dict[str, list[CustomFieldDefinition]] = {}
        for object_type, key, name, kind, options, active in CUSTOM_FIELDS:
            self.custom_field_definitions.append(CustomFieldDefinition(
                self._next_id("custom_field"), object_type, key, name, kind, options, active,
                EPOCH, EPOCH))
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
                day = EPOCH + dt.timedelta(days=extra.randint(0, 540))
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
        historic = at < END
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
        """Add a candidate and an application; historic ones get a past path through stages."""
        rng = self.rng
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
