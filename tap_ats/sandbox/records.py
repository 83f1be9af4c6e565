"""The records of a sandbox world, in provider-neutral form, and the table that keeps them.

Every provider's wire module renders these in its own format; :mod:`tap_ats.sandbox.world`
generates and changes them.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field


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
