"""Greenhouse Harvest API v3 (``/greenhouse/v3/...``) as Greenhouse documents it.

- Auth: ``POST /greenhouse/auth/token`` with HTTP Basic ``client_id:client_secret`` and the form
  ``grant_type=client_credentials&sub=<user id>`` answers ``{access_token, token_type,
  expires_at}`` (one hour); a wrong client answers 401 ``{"error": "invalid_client"}`` (RFC 6749).
  List calls need ``Authorization: Bearer <token>`` (else 401 ``{"message": ...}``) and a token
  acting as the Site Admin user ``ADMIN_USER`` (else 403).
- Lists are bare JSON arrays ordered by id descending; ids are integers, offset per kind so that
  no two kinds share one. ``per_page`` is 1 to 500 (default 100) and only read on page 1; the
  next page is a ``Link: <url>; rel="next"`` header whose opaque ``cursor`` embeds every filter,
  and a request sending ``cursor`` with any other parameter is refused with 422.
- Filters: ``updated_at``/``created_at`` in pipe syntax (``gte|T1|lte|T2``, also ``gt``/``lt``);
  ``ids``, ``job_ids``, ``application_ids``, ``candidate_ids``, ``job_interview_stage_ids``
  with at most 50 values each.
- Rate limit: a fixed window of 30 s (times ``time_scale``); every API response carries
  ``X-RateLimit-Limit/Remaining/Reset`` (Reset as epoch seconds, with milliseconds so that tiny
  test windows work). Only enforced (429 + ``Retry-After``) when the sandbox has
  ``rate_limits``; otherwise the headers report a generous limit. Token calls are not counted.
- Deletes leave no trace: a deleted application, with its stage rows and interviews, is simply
  absent.
- Interviews carry ``job_interview_id`` (no title, stage or panel, as in v3); the name and stage
  are on ``/v3/job_interviews`` (one job interview per job stage here, named after the stage),
  the panel on ``/v3/interviewers`` (one row per interview and user, ``user_id`` as in
  ``/v3/users``, ``scorecard_id`` the scorecard that panelist submitted, else null).
  ``/v3/users`` lists the hiring-side users (``primary_email``); ``deactivated`` marks the gone.
- The analytics entities of the world, in v3's shapes: ``/v3/offers`` (status ``Created`` for a
  draft or sent offer, ``sent_on`` telling them apart, ``Accepted``, ``Rejected``,
  ``Deprecated``), ``/v3/departments``, ``/v3/offices``, ``/v3/sources`` (``type`` the sourcing
  strategy ``{id, name}``), ``/v3/rejection_reasons`` (``type`` ``{id, key, name}``; the reasons
  in ``DEFAULT_REASONS`` are Greenhouse's defaults, listed only with ``include_defaults=true``),
  ``/v3/job_hiring_managers`` and ``/v3/job_owners`` (the hiring team, owners with ``type``),
  ``/v3/scorecards`` (``candidate_rating``, no interview, candidate or job id), their ratings on
  ``/v3/scorecard_candidate_attributes`` (``scorecard_ids`` filter; ``definitely_not`` for the
  world's ``strong_no``) named by ``/v3/job_candidate_attributes`` (one per job and attribute),
  ``/v3/eeoc`` (each answer ``{id, description}``), ``/v3/custom_fields`` with
  ``/v3/custom_field_options``. Applications, candidates, jobs and offers carry
  ``custom_fields`` keyed by ``name_key`` (``{name, type, value}``, every active field of the
  object, null when unset); applications ``source_id`` and ``rejection_reason_id``, jobs
  ``department_id`` and ``office_ids``. A deleted application takes its offers, scorecards and
  EEOC answers with it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import operator
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs

from tap_ats.sandbox.server import (
    Damage,
    FixedWindow,
    ProviderAPI,
    Request,
    Response,
    hires_entry,
    iso,
    keyset_page,
    truth_entry,
)
from tap_ats.sandbox.world import (
    ATTRIBUTES,
    DISABILITY_STATUSES,
    EEOC_LABELS,
    GENDERS,
    RACES,
    VETERAN_STATUSES,
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
    World,
)

CLIENT_ID = "gh_sandbox_client_7d3a"
CLIENT_SECRET = "gh_sandbox_secret_b51e94f07c"  # noqa: S105
ADMIN_USER = "4080"
MAX_PAGE = 500
MAX_IDS = 50
TOKEN_TTL = 3600
GENEROUS_LIMIT = 100_000
OFFSET = {"job": 4_000_000, "stage": 5_000_000, "candidate": 10_000_000,
          "application": 20_000_000, "visit": 30_000_000, "interview": 40_000_000,
          "user": 1_000, "panelist": 50_000_000, "job_interview": 60_000_000,
          "interview_kit": 61_000_000, "department": 70_000_000, "office": 71_000_000,
          "source": 72_000_000, "rejection_reason": 73_000_000, "hiring_team": 74_000_000,
          "offer": 75_000_000, "scorecard": 76_000_000, "demographic": 77_000_000,
          "custom_field": 78_000_000, "field_option": 79_000_000, "job_attribute": 80_000_000,
          "rating": 100_000_000}
STATUS = {"active": "in_process", "rejected": "rejected", "hired": "hired"}
OFFER_STATUS = {"draft": "Created", "sent": "Created", "accepted": "Accepted",
                "declined": "Rejected", "deprecated": "Deprecated"}
#: The world's source types as Greenhouse's sourcing strategies ``{id, name}``.
STRATEGY = {"social media": (5, "Social media"), "referral": (2, "Referral"),
            "company marketing": (6, "Company marketing"), "agency": (1, "Agencies"),
            "job board": (3, "Third-party boards")}
#: The world's rejection types as Greenhouse's ``{id, key, name}``.
REJECTION_TYPE = {"we_rejected": (1, "WE_REJECTED_THEM", "We rejected them"),
                  "candidate_withdrew": (2, "THEY_REJECTED_US", "They rejected us")}
#: Reasons that are Greenhouse's own defaults: listed only with ``include_defaults=true``.
DEFAULT_REASONS = ("Withdrew", "Position filled")
#: The world's custom field types as Greenhouse's ``value_type``, where they differ.
VALUE_TYPE = {"boolean": "yes_no"}
#: The world's attribute ratings as Greenhouse's per-attribute words, where they differ.
ATTRIBUTE_RATING = {"strong_no": "definitely_not"}
OPS: dict[str, Callable[[Any, Any], bool]] = {"gte": operator.ge, "lte": operator.le,
                                              "gt": operator.gt, "lt": operator.lt}
#: ``*_ids`` filter -> (record attribute, id kind); ``ids`` uses the resource's own kind.
ID_FILTERS = {"ids": ("id", None), "job_ids": ("job_id", "job"),
              "application_ids": ("application_id", "application"),
              "candidate_ids": ("candidate_id", "candidate"),
              "job_interview_stage_ids": ("stage_id", "stage"),
              "scorecard_ids": ("scorecard_id", "scorecard")}
CURSOR_ALONE = "When passing a cursor, do not include other query params."
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil, per list endpoint. Greenhouse
#: ids are integers, so ``bad_records`` serves an integer in a plain string field instead.
DAMAGE = {
    "applications": Damage("applications", ("stage_name",), "stage_name",
                           ("created_at", "rejected_at", "last_activity_at")),
    "application_stages": Damage("application_stages", (), None, ("created_at",)),
    "jobs": Damage("jobs", ("name", "requisition_id"), "requisition_id",
                   ("opened_at", "closed_at", "created_at")),
    "job_interview_stages": Damage("job_stages", ("name",), "name", ("created_at",)),
    "interviews": Damage("interviews", ("location",), "location",
                         ("starts_at", "ends_at", "created_at")),
    "candidates": Damage("candidates", ("first_name", "last_name", "company", "title"),
                         "title", ("created_at", "last_activity_at")),
    "users": Damage("users", ("name", "first_name"), "name", ("created_at",)),
    # Lookups that feed interviews: left whole, so every spoiled field is on the row it names.
    "job_interviews": Damage("interviews"),
    "interviewers": Damage("interviews"),
    "offers": Damage("offers", (), None, ("created_at", "resolved_at")),
    "departments": Damage("departments", ("name",), "external_id", ("created_at",)),
    "offices": Damage("offices", ("name", "location"), "external_id", ("created_at",)),
    "sources": Damage("sources", ("name",), None, ("created_at",)),
    "rejection_reasons": Damage("rejection_reasons", ("name",), None, ("created_at",)),
    "scorecards": Damage("scorecards", (), None, ("created_at", "submitted_at")),
    "custom_fields": Damage("custom_field_definitions", ("name",), None, ("created_at",)),
    # Left whole: a hiring-team row's unified id is not its own; EEOC answers are not read by
    # default; the rest only feed columns of other rows.
    "job_hiring_managers": Damage("job_hiring_team"),
    "job_owners": Damage("job_hiring_team"),
    "eeoc": Damage("demographics"),
    "scorecard_candidate_attributes": Damage("scorecards"),
    "job_candidate_attributes": Damage("scorecards"),
    "custom_field_options": Damage("custom_field_definitions"),
}


@dataclass(slots=True)
class Rating:
    """One attribute rating of a scorecard (``/v3/scorecard_candidate_attributes``)."""

    id: int
    scorecard: Scorecard
    attribute_id: int
    rating: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def scorecard_id(self) -> int:
        """The world id of its scorecard (what ``scorecard_ids`` filters on)."""
        return self.scorecard.id


@dataclass(slots=True)
class JobAttribute:
    """One attribute a job rates candidates on (``/v3/job_candidate_attributes``)."""

    id: int
    job_id: int
    name: str
    sort_order: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(slots=True)
class FieldOption:
    """One choice of a select custom field (``/v3/custom_field_options``)."""

    id: int
    field: CustomFieldDefinition
    name: str
    sort_order: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class Derived:
    """What the v3 wire format needs beyond the world's own tables, built once per world.

    Ratings, and the scorecard of each panel row, follow the scorecards (rebuilt when their
    number changes); attributes and options follow fixed lists.
    """

    scorecards: int = -1
    ratings: Table = field(default_factory=Table)
    card_of: dict[tuple[int, int], int] = field(default_factory=dict)
    attributes: Table = field(default_factory=Table)
    attribute_of: dict[tuple[int, str], int] = field(default_factory=dict)
    options: Table = field(default_factory=Table)
    fields: dict[str, list[CustomFieldDefinition]] = field(default_factory=dict)


def gid(kind: str, n: int) -> int:
    """The Greenhouse id of world record ``n`` of ``kind``."""
    return OFFSET[kind] + n


class Invalid(ValueError):
    """A request parameter Greenhouse would refuse with 422."""


def _time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        msg = f"{value!r} is not an ISO-8601 time with a zone"
        raise Invalid(msg)
    return parsed


def _window(name: str, value: str) -> list[tuple[Callable[[Any, Any], bool], dt.datetime]]:
    """``gte|T1|lte|T2`` as (operator, time) pairs."""
    parts = value.split("|")
    if len(parts) % 2 or any(op not in OPS for op in parts[::2]):
        msg = f"{name} must look like gte|<time>|lte|<time> (operators gte, lte, gt, lt)"
        raise Invalid(msg)
    try:
        return [(OPS[op], _time(stamp)) for op, stamp in zip(parts[::2], parts[1::2],
                                                             strict=True)]
    except ValueError as exc:
        raise Invalid(f"{name}: {exc}") from None


class GreenhouseAPI(ProviderAPI):
    """The Harvest v3 wire format over one world."""

    name = "greenhouse"
    accounts: ClassVar[list[str]] = ["greenhouse"]
    #: Requests per 30 s window when the sandbox enforces rate limits.
    rate_limit: ClassVar[int] = 50
    window_seconds: ClassVar[float] = 30.0

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.enforcing = bool(sandbox.rate_limits)
        self.limiter = FixedWindow(self.rate_limit if self.enforcing else GENEROUS_LIMIT,
                                   self.window_seconds * sandbox.time_scale)
        #: Issued tokens: value -> (sub, expiry epoch).
        self.tokens: dict[str, tuple[str, float]] = {}
        #: Tests turn this off to make every bearer token refused (a revoked credential).
        self.accept_tokens = True
        self._token_lock = threading.Lock()
        self._derived: dict[int, Derived] = {}
        self._derived_lock = threading.Lock()

    def config(self, base_url: str) -> dict[str, Any]:
        """Config for tap-ats: the sandbox's client credentials, acting as its Site Admin."""
        return {"provider": "greenhouse", "api_url": f"{base_url}/greenhouse",
                "token_url": f"{base_url}/greenhouse/auth/token", "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET, "user_id": ADMIN_USER,
                "start_date": "2024-01-01T00:00:00Z"}

    def revoke_tokens(self) -> None:
        """Forget every issued token, as an expiry or rotation on Greenhouse's side would."""
        with self._token_lock:
            self.tokens.clear()

    # Rendering ---------------------------------------------------------------------------------

    def derived(self, w: World) -> Derived:
        """The tables and maps the wire format adds to world ``w``, kept current."""
        with self._derived_lock:
            d = self._derived.setdefault(id(w), Derived())
            if not d.fields:
                for f in w.custom_field_definitions:
                    d.fields.setdefault(f.object_type, [])
                    if f.active:
                        d.fields[f.object_type].append(f)
                    for k, name in enumerate(f.options):
                        d.options.append(FieldOption(len(d.options) + 1, f, name, k,
                                                     f.created_at, f.updated_at))
                for job in w.jobs:
                    for k, name in enumerate(ATTRIBUTES):
                        d.attribute_of[job.id, name] = len(d.attributes) + 1
                        d.attributes.append(JobAttribute(len(d.attributes) + 1, job.id, name, k,
                                                         job.created_at, job.created_at))
            if d.scorecards != len(w.scorecards):
                d.scorecards, d.ratings, d.card_of = len(w.scorecards), Table(), {}
                for card in w.scorecards:
                    d.card_of[card.interview_id, card.interviewer_id] = card.id
                    for k, (name, rating) in enumerate(card.ratings):
                        d.ratings.append(Rating(card.id * 10 + k, card,
                                                d.attribute_of[card.job_id, name], rating,
                                                card.created_at, card.updated_at))
            return d

    def _custom(self, w: World, object_type: str, values: dict[str, Any]) -> dict[str, Any]:
        """``custom_fields`` as v3 keys them: every active field of the object, by ``name_key``."""
        return {f.key: {"name": f.name, "type": VALUE_TYPE.get(f.field_type, f.field_type),
                        "value": values.get(f.key)}
                for f in self.derived(w).fields.get(object_type, [])}

    def _application(self, w: World, a: Application) -> dict[str, Any]:
        stage = w.stage(a.current.stage_id)
        return {
            "id": gid("application", a.id), "candidate_id": gid("candidate", a.candidate_id),
            "job_id": gid("job", a.job_id), "job_post_id": None, "prospect": False,
            "status": STATUS[a.status], "stage_id": gid("stage", stage.id),
            "stage_name": stage.name, "rejected_at": iso(a.rejected_at),
            "last_activity_at": iso(a.updated_at),
            "source_id": None if a.source_id is None else gid("source", a.source_id),
            "rejection_reason_id": None if a.rejection_reason_id is None
            else gid("rejection_reason", a.rejection_reason_id),
            "recruiter_id": None, "prospective_job_ids": [], "answers": [],
            "custom_fields": self._custom(w, "application", a.custom_fields),
            "created_at": iso(a.created_at), "updated_at": iso(a.updated_at),
        }

    @staticmethod
    def _visit(_w: World, v: Visit) -> dict[str, Any]:
        end = v.exited_at or dt.datetime.now(dt.UTC)
        return {
            "id": gid("visit", v.id), "application_id": gid("application", v.application_id),
            "job_interview_stage_id": gid("stage", v.stage_id), "entered_at": iso(v.entered_at),
            "exited_at": iso(v.exited_at), "current": v.exited_at is None,
            "days_in_stage": (end - v.entered_at).days,
            "created_at": iso(v.created_at), "updated_at": iso(v.updated_at),
        }

    def _job(self, w: World, j: Job) -> dict[str, Any]:
        return {
            "id": gid("job", j.id), "name": j.name, "requisition_id": j.code, "notes": None,
            "confidential": False, "status": j.status, "opened_at": iso(j.opened_at),
            "closed_at": iso(j.closed_at), "is_template": False, "copied_from_id": None,
            "department_id": None if j.department_id is None
            else gid("department", j.department_id),
            "office_ids": [gid("office", o) for o in j.office_ids],
            "custom_fields": self._custom(w, "job", j.custom_fields),
            "created_at": iso(j.created_at), "updated_at": iso(j.updated_at),
        }

    @staticmethod
    def _stage(_w: World, s: Stage) -> dict[str, Any]:
        return {"id": gid("stage", s.id), "job_id": gid("job", s.job_id), "name": s.name,
                "sort_order": s.order, "active": s.active, "created_at": iso(s.created_at),
                "updated_at": iso(s.updated_at)}

    @staticmethod
    def _interview(_w: World, i: Interview) -> dict[str, Any]:
        return {
            "id": gid("interview", i.id), "job_id": gid("job", i.job_id),
            "application_id": gid("application", i.application_id),
            "job_interview_id": gid("job_interview", i.stage_id),
            "starts_at": iso(i.start_at), "ends_at": iso(i.end_at), "all_day_start_on": None,
            "all_day_end_on": None, "location": i.location, "status": i.status,
            "organizer_id": gid("user", i.organizer_id), "scheduled_at": iso(i.created_at),
            "video_conferencing_url": None, "external_event_id": None,
            "created_at": iso(i.created_at), "updated_at": iso(i.updated_at),
        }

    @staticmethod
    def _job_interview(_w: World, s: Stage) -> dict[str, Any]:
        return {"id": gid("job_interview", s.id), "job_id": gid("job", s.job_id),
                "job_interview_stage_id": gid("stage", s.id), "name": f"{s.name} panel",
                "estimated_minutes": 60, "created_at": iso(s.created_at),
                "updated_at": iso(s.updated_at)}

    def _panelist(self, w: World, p: Panelist) -> dict[str, Any]:
        card = self.derived(w).card_of.get((p.interview_id, p.user_id))
        return {"id": gid("panelist", p.id), "interview_id": gid("interview", p.interview_id),
                "user_id": gid("user", p.user_id),
                "scorecard_id": None if card is None else gid("scorecard", card),
                "email": w.user(p.user_id).email, "response_status": "accepted",
                "created_at": iso(p.created_at), "updated_at": iso(p.updated_at)}

    @staticmethod
    def _user(_w: World, u: User) -> dict[str, Any]:
        return {"id": gid("user", u.id), "name": f"{u.first_name} {u.last_name}",
                "first_name": u.first_name, "last_name": u.last_name,
                "primary_email": u.email, "emails": [u.email],
                "deactivated": not u.active, "site_admin": u.id == 1,
                "created_at": iso(u.created_at), "updated_at": iso(u.updated_at)}

    def _candidate(self, w: World, c: Candidate) -> dict[str, Any]:
        return {
            "id": gid("candidate", c.id), "first_name": c.first_name, "last_name": c.last_name,
            "preferred_name": None, "company": c.company, "title": c.title, "private": False,
            "can_email": True, "tags": list(c.tags), "linked_user_ids": [],
            "email_addresses": [{"value": c.email, "type": "personal"}],
            "phone_numbers": [{"value": c.phone, "type": "mobile"}], "addresses": [],
            "website_addresses": [], "social_media_addresses": [],
            "custom_fields": self._custom(w, "candidate", c.custom_fields),
            "last_activity_at": iso(c.updated_at), "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
        }

    def _offer(self, w: World, o: Offer) -> dict[str, Any]:
        return {
            "id": gid("offer", o.id), "version": o.version,
            "application_id": gid("application", o.application_id),
            "job_id": gid("job", o.job_id), "candidate_id": gid("candidate", o.candidate_id),
            "opening_id": None, "status": OFFER_STATUS[o.status],
            "sent_on": None if o.sent_at is None else o.sent_at.date().isoformat(),
            "starts_on": o.starts_at.isoformat(), "resolved_at": iso(o.resolved_at),
            "custom_fields": self._custom(w, "offer", o.custom_fields),
            "created_at": iso(o.created_at), "updated_at": iso(o.updated_at),
        }

    @staticmethod
    def _department(_w: World, d: Department) -> dict[str, Any]:
        return {"id": gid("department", d.id), "name": d.name,
                "parent_id": None if d.parent_id is None else gid("department", d.parent_id),
                "external_id": d.external_id, "created_at": iso(d.created_at),
                "updated_at": iso(d.updated_at)}

    @staticmethod
    def _office(_w: World, o: Office) -> dict[str, Any]:
        return {"id": gid("office", o.id), "name": o.name,
                "parent_id": None if o.parent_id is None else gid("office", o.parent_id),
                "location": o.location, "external_id": o.external_id,
                "primary_in_house_contact_user_id": None, "created_at": iso(o.created_at),
                "updated_at": iso(o.updated_at)}

    @staticmethod
    def _source(_w: World, s: Source) -> dict[str, Any]:
        strategy, name = STRATEGY[s.type]
        return {"id": gid("source", s.id), "name": s.name,
                "type": {"id": strategy, "name": name}, "created_at": iso(s.created_at),
                "updated_at": iso(s.updated_at)}

    @staticmethod
    def _rejection_reason(_w: World, r: RejectionReason) -> dict[str, Any]:
        kind, key, name = REJECTION_TYPE[r.type]
        return {"id": gid("rejection_reason", r.id), "name": r.name,
                "type": {"id": kind, "key": key, "name": name}, "created_at": iso(r.created_at),
                "updated_at": iso(r.updated_at)}

    @staticmethod
    def _hiring_manager(_w: World, m: HiringTeamMember) -> dict[str, Any]:
        return {"id": gid("hiring_team", m.id), "job_id": gid("job", m.job_id),
                "user_id": gid("user", m.user_id), "created_at": iso(m.created_at),
                "updated_at": iso(m.updated_at)}

    @staticmethod
    def _job_owner(_w: World, m: HiringTeamMember) -> dict[str, Any]:
        return {"id": gid("hiring_team", m.id), "job_id": gid("job", m.job_id),
                "user_id": gid("user", m.user_id), "type": m.role,
                "responsible": m.role in ("recruiter", "coordinator"),
                "created_at": iso(m.created_at), "updated_at": iso(m.updated_at)}

    @staticmethod
    def _scorecard(w: World, c: Scorecard) -> dict[str, Any]:
        interview = w.interviews.get(c.interview_id)
        return {
            "id": gid("scorecard", c.id), "application_id": gid("application", c.application_id),
            "interview_kit_id": gid("interview_kit", interview.stage_id),
            "interviewer_id": gid("user", c.interviewer_id),
            "submitter_id": gid("user", c.interviewer_id),
            "candidate_rating": c.overall_recommendation, "status": "complete",
            "interviewed_at": iso(interview.start_at), "submitted_at": iso(c.submitted_at),
            "notes": c.notes, "notes_with_tags": c.notes, "private_notes": None,
            "private_notes_with_tags": None, "public_notes": None,
            "public_notes_with_tags": None, "created_at": iso(c.created_at),
            "updated_at": iso(c.updated_at),
        }

    @staticmethod
    def _rating(_w: World, r: Rating) -> dict[str, Any]:
        word = ATTRIBUTE_RATING.get(r.rating, r.rating)
        return {"id": gid("rating", r.id), "scorecard_id": gid("scorecard", r.scorecard.id),
                "job_candidate_attribute_id": gid("job_attribute", r.attribute_id),
                "candidate_attribute_rating": word, "value": word, "note": None,
                "created_at": iso(r.created_at), "updated_at": iso(r.updated_at)}

    @staticmethod
    def _job_attribute(_w: World, a: JobAttribute) -> dict[str, Any]:
        return {"id": gid("job_attribute", a.id), "name": a.name,
                "candidate_attribute_type_id": None, "job_id": gid("job", a.job_id),
                "active": True, "sort_order": a.sort_order, "created_at": iso(a.created_at),
                "updated_at": iso(a.updated_at)}

    @staticmethod
    def _eeoc(_w: World, d: Demographic) -> dict[str, Any]:
        def answer(value: str, choices: list[str]) -> dict[str, Any]:
            return {"id": choices.index(value) + 1, "description": EEOC_LABELS[value]}

        return {"id": gid("demographic", d.id),
                "application_id": gid("application", d.application_id),
                "candidate_id": gid("candidate", d.candidate_id),
                "race": answer(d.race, RACES), "gender": answer(d.gender, GENDERS),
                "veteran_status": answer(d.veteran_status, VETERAN_STATUSES),
                "disability_status": answer(d.disability_status, DISABILITY_STATUSES),
                "submitted_at": iso(d.submitted_at), "created_at": iso(d.created_at),
                "updated_at": iso(d.updated_at)}

    @staticmethod
    def _custom_field(_w: World, f: CustomFieldDefinition) -> dict[str, Any]:
        return {"id": gid("custom_field", f.id), "field_type": f.object_type, "name": f.name,
                "name_key": f.key, "value_type": VALUE_TYPE.get(f.field_type, f.field_type),
                "active": f.active, "private": False, "required": False, "internal_type": None,
                "created_at": iso(f.created_at), "updated_at": iso(f.updated_at)}

    @staticmethod
    def _field_option(_w: World, o: FieldOption) -> dict[str, Any]:
        return {"id": gid("field_option", o.id), "custom_field_id": gid("custom_field", o.field.id),
                "name": o.name, "sort_order": o.sort_order, "active": True, "external_id": None,
                "created_at": iso(o.created_at), "updated_at": iso(o.updated_at)}

    def _resources(self, w: World) -> dict[str, tuple[str, Any, Any, Callable[[Any], bool]]]:
        """Per resource: id kind, table, renderer, and whether a record is live (not deleted)."""
        def live_app(app_id: int) -> bool:
            app = w.applications.get(app_id)
            return app is not None and app.deleted_at is None

        def alive(r: Any) -> bool:
            return r.deleted_at is None

        derived = self.derived(w)
        return {
            "applications": ("application", w.applications, self._application, alive),
            "application_stages": ("visit", w.visits, self._visit,
                                   lambda r: live_app(r.application_id)),
            "jobs": ("job", w.jobs, self._job, alive),
            "job_interview_stages": ("stage", w.stages, self._stage, lambda _r: True),
            "interviews": ("interview", w.interviews, self._interview,
                           lambda r: r.deleted_at is None and live_app(r.application_id)),
            "candidates": ("candidate", w.candidates, self._candidate, alive),
            "job_interviews": ("job_interview", w.stages, self._job_interview, lambda _r: True),
            "interviewers": ("panelist", w.panel, self._panelist, lambda _r: True),
            "users": ("user", w.people, self._user, lambda _r: True),
            "offers": ("offer", w.offers, self._offer, alive),
            "departments": ("department", w.departments, self._department, lambda _r: True),
            "offices": ("office", w.offices, self._office, lambda _r: True),
            "sources": ("source", w.sources, self._source, lambda _r: True),
            "rejection_reasons": ("rejection_reason", w.rejection_reasons,
                                  self._rejection_reason, lambda _r: True),
            "job_hiring_managers": ("hiring_team", w.hiring_team, self._hiring_manager,
                                    lambda r: r.role == "hiring_manager"),
            "job_owners": ("hiring_team", w.hiring_team, self._job_owner,
                           lambda r: r.role != "hiring_manager"),
            "scorecards": ("scorecard", w.scorecards, self._scorecard, alive),
            "scorecard_candidate_attributes": ("rating", derived.ratings, self._rating,
                                               lambda r: r.scorecard.deleted_at is None),
            "job_candidate_attributes": ("job_attribute", derived.attributes,
                                         self._job_attribute, lambda _r: True),
            "eeoc": ("demographic", w.demographics, self._eeoc, alive),
            "custom_fields": ("custom_field", w.custom_field_definitions, self._custom_field,
                              lambda _r: True),
            "custom_field_options": ("field_option", derived.options, self._field_option,
                                     lambda _r: True),
        }

    # Requests ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Serve the token endpoint and ``GET /greenhouse/v3/<resource>``."""
        if request.path.rstrip("/") == "/greenhouse/auth/token" and request.method == "POST":
            return self._token(request)
        allowed, remaining, reset = self.limiter.hit(self.accounts[0])
        headers = {"X-RateLimit-Limit": str(self.limiter.limit),
                   "X-RateLimit-Remaining": str(max(remaining, 0)),
                   "X-RateLimit-Reset": f"{reset:.3f}"}
        response = self._serve(request, allowed, reset)
        response.headers.update(headers)
        return response

    def _serve(self, request: Request, allowed: bool, reset: float) -> Response:
        if not allowed:
            wait = max(math.ceil(reset - time.time()), 0)
            return Response(429, {"message": "Rate limit exceeded."}, {"Retry-After": str(wait)})
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self._token_lock:
            sub, expires = self.tokens.get(token, ("", 0.0))
        if not self.accept_tokens or expires <= time.time():
            return Response(401, {"message": "Invalid or expired access token."})
        if sub != ADMIN_USER:
            return Response(403, {"message": "All list endpoints require a Site Admin user."})
        parts = request.path.strip("/").split("/")
        w = self.world(self.accounts[0])
        resources = self._resources(w)
        if parts[:2] != ["greenhouse", "v3"] or len(parts) != 3 or parts[2] not in resources:
            return Response(404, {"message": f"Route {request.path} does not exist."})
        kind, table, render, live = resources[parts[2]]
        try:
            state = self._query(request)
            size, keep = self._filters(state["query"], kind)
        except Invalid as exc:
            return Response(422, {"errors": [str(exc)]})
        if parts[2] == "scorecard_candidate_attributes" and "scorecard_ids" in state["query"]:
            table = self._ratings_of(table, state["query"]["scorecard_ids"][-1])
        if parts[2] == "rejection_reasons" and state["query"].get(
                "include_defaults", [""])[-1] != "true":
            keep = (lambda test: lambda r: test(r) and r.name not in DEFAULT_REASONS)(keep)
        records, next_id = keyset_page(table, state["before"], size,
                                       lambda r: live(r) and keep(r), descending=True)
        page = self.sandbox.paginate(request, state, None if next_id is None else {
            "before": next_id, "query": state["query"]})
        headers = {}
        if page.cursor:
            host = request.headers.get("host", "127.0.0.1")
            url = page.foreign or f"http://{host}{request.path}?cursor={page.cursor}"
            headers["Link"] = f'<{url}>; rel="next"'
        results = [] if page.empty else [render(w, r) for r in records]
        response = Response(200, results, headers, faults=page.faults)
        if results:
            self.sandbox.spoil(request, response, self.accounts[0], DAMAGE[parts[2]],
                               str(results[0]["id"]), results[0])
        return response

    @staticmethod
    def _query(request: Request) -> dict[str, Any]:
        """The page's cursor state: filters (from the cursor after page 1) and ``before``."""
        if "cursor" not in request.query:
            return {"before": None, "query": request.query}
        if len(request.query) > 1 or len(request.query["cursor"]) > 1:
            raise Invalid(CURSOR_ALONE)
        msg = "The cursor is invalid or expired."
        try:
            state = json.loads(base64.urlsafe_b64decode(request.query["cursor"][0]))
        except (ValueError, binascii.Error):
            raise Invalid(msg) from None
        if not isinstance(state, dict) or not {"query", "before"} <= state.keys():
            raise Invalid(msg)
        return state

    @staticmethod
    def _ratings_of(ratings: Table, ids: str) -> Table:
        """The ratings of the scorecards in ``ids``, found by id instead of by a scan of all.

        A rating's id is its scorecard's world id times ten plus its place, so each scorecard's
        ratings are one slice of the table; the filters then apply as to any table. (A scan per
        request made the sandbox, not the tap, the bottleneck of a large Greenhouse benchmark.)
        """
        cards = sorted({int(v) - OFFSET["scorecard"] for v in ids.split(",") if v})
        return Table(rating for n in cards for rating in
                     ratings[ratings.index_after(n * 10 - 1):ratings.index_before(n * 10 + 10)])

    @staticmethod
    def _filters(query: dict[str, list[str]], kind: str) -> tuple[int, Callable[[Any], bool]]:
        """Page size and record test for one query; Invalid for what Greenhouse refuses."""
        try:
            size = int(query.get("per_page", ["100"])[-1])
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE:
            msg = f"per_page must be an integer from 1 to {MAX_PAGE}."
            raise Invalid(msg)
        tests: list[Callable[[Any], bool]] = []
        for name in ("updated_at", "created_at"):
            if name in query:
                for op, at in _window(name, query[name][-1]):
                    tests.append(lambda r, n=name, op=op, at=at: op(getattr(r, n), at))
        for name, (attr, id_kind) in ID_FILTERS.items():
            if name not in query:
                continue
            try:
                wanted = {int(v) for v in query[name][-1].split(",") if v}
            except ValueError:
                raise Invalid(f"{name} must be comma-separated integers.") from None
            if len(wanted) > MAX_IDS:
                msg = f"{name} accepts at most {MAX_IDS} values."
                raise Invalid(msg)
            tests.append(lambda r, a=attr, k=id_kind or kind, ids=wanted:
                         hasattr(r, a) and gid(k, getattr(r, a)) in ids)
        return size, lambda r: all(test(r) for test in tests)

    def _token(self, request: Request) -> Response:
        """Client credentials grant: Basic client auth, ``sub`` = the user the token acts as."""
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return Response(401, {"error": "invalid_client",
                                  "error_description": "Client authentication failed."})
        form = parse_qs(request.body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            return Response(400, {"error": "unsupported_grant_type"})
        sub = form.get("sub", [""])[-1]
        if sub and not sub.isdigit():
            return Response(400, {"error": "invalid_grant",
                                  "error_description": "sub must be a Greenhouse user id."})
        token, expires = secrets.token_urlsafe(24), time.time() + TOKEN_TTL
        with self._token_lock:
            self.tokens[token] = (sub, expires)
        return Response(200, {"access_token": token, "token_type": "Bearer",
                              "expires_at": iso(dt.datetime.fromtimestamp(expires, dt.UTC))})

    # Truth -------------------------------------------------------------------------------------

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
