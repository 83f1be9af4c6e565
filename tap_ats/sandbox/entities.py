"""The analytics entities of a sandbox world, made as the core records are.

Departments, offices, sources, rejection reasons, hiring teams, offers, scorecards, demographics
and custom fields draw from the world's second generator, ``extra``, never from ``rng``, so that
the core tables of a seed stay what they were before these entities existed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

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
    RejectionReason,
    Scorecard,
    Source,
    Table,
)
from tap_ats.sandbox.vocabulary import (
    ATTRIBUTES,
    CUSTOM_FIELDS,
    DEPARTMENTS,
    DISABILITY_STATUSES,
    GENDERS,
    HIRING_ROLES,
    NOTES,
    OFFICES,
    RACES,
    RATINGS,
    RECOMMENDATIONS,
    REJECTION_REASONS,
    REJECTION_TYPES,
    SOURCE_TYPES,
    SOURCES,
    TITLE_DEPARTMENT,
    VETERAN_STATUSES,
)


class Entities:
    """What :class:`~tap_ats.sandbox.world.World` does for the analytics entities (a mixin)."""

    #: Provided by the world (annotations only).
    anchor: dt.datetime
    start: dt.datetime
    extra: random.Random
    people: Table
    departments: Table
    offices: Table
    sources: Table
    rejection_reasons: Table
    hiring_team: Table
    offers: Table
    scorecards: Table
    demographics: Table
    custom_field_definitions: Table
    _dependents: dict[int, list[Offer | Scorecard | Demographic]]
    _next_id: Callable[[str], int]

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
