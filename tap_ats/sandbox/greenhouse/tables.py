"""The ids, words and extra tables of the Greenhouse sandbox's v3 wire format.

World records get v3 ids by kind (:func:`gid`); the world's words become Greenhouse's;
:class:`Derived` holds the tables v3 has beyond the world's own (ratings, attributes,
options, rejection details).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tap_ats.sandbox.world import (
    Application,
    CustomFieldDefinition,
    Scorecard,
    Table,
)

MAX_PAGE = 500
MAX_IDS = 50
OFFSET = {"job": 4_000_000, "stage": 5_000_000, "candidate": 10_000_000,
          "application": 20_000_000, "visit": 30_000_000, "interview": 40_000_000,
          "user": 1_000, "panelist": 50_000_000, "job_interview": 60_000_000,
          "interview_kit": 61_000_000, "department": 70_000_000, "office": 71_000_000,
          "source": 72_000_000, "rejection_reason": 73_000_000, "hiring_team": 74_000_000,
          "offer": 75_000_000, "scorecard": 76_000_000, "demographic": 77_000_000,
          "custom_field": 78_000_000, "field_option": 79_000_000, "job_attribute": 80_000_000,
          "rejection_detail": 81_000_000, "rating": 100_000_000}
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
#: ``*_ids`` filter -> (record attribute, id kind); ``ids`` uses the resource's own kind.


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


@dataclass(slots=True)
class RejectionDetail:
    """An application's rejection (``/v3/rejection_details``), listed while it is rejected.

    Its times are the rejection's: an edit of the application after it moves the
    application's ``updated_at``, not the detail's.
    """

    application: Application

    @property
    def id(self) -> int:
        """One detail per application: the application's world id."""
        return self.application.id

    @property
    def application_id(self) -> int:
        """For the ``application_ids`` filter."""
        return self.application.id

    @property
    def updated_at(self) -> dt.datetime | None:
        """When the application was rejected."""
        return self.application.rejected_at

    created_at = updated_at


@dataclass
class Derived:
    """What the v3 wire format needs beyond the world's own tables, built once per world.

    Ratings, and the scorecard of each panel row, follow the scorecards (rebuilt when their
    number changes); rejection details follow the applications (one per application, listed
    while it is rejected); attributes and options follow fixed lists.
    """

    scorecards: int = -1
    ratings: Table = field(default_factory=Table)
    card_of: dict[tuple[int, int], int] = field(default_factory=dict)
    attributes: Table = field(default_factory=Table)
    attribute_of: dict[tuple[int, str], int] = field(default_factory=dict)
    options: Table = field(default_factory=Table)
    fields: dict[str, list[CustomFieldDefinition]] = field(default_factory=dict)
    details: Table = field(default_factory=Table)


def gid(kind: str, n: int) -> int:
    """The Greenhouse id of world record ``n`` of ``kind``."""
    return OFFSET[kind] + n

