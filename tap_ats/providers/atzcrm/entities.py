"""ATZ CRM's jobs and job owners (from the job reads the candidate read makes), and interviews.

:class:`Jobs` and :class:`JobHiringTeam` derive from the ``GET /job/:slug?maximize=owner`` reads
that :class:`~.history.HistoryReader` makes for the jobs a page's histories name.
:class:`Interviews` reads ``GET /activity`` itself, newest change first, down to the bookmark
(:class:`ActivityPaginator` stops there).
"""

from __future__ import annotations

import datetime as dt
import typing as t

from tap_ats.conform import ts
from tap_ats.providers.atzcrm.client import AtzStream, LastPagePaginator, changed_since
from tap_ats.providers.atzcrm.streams import AtzDerived, midnight

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

JOB_STATUS = {"in progress": "open", "open": "open", "won": "closed", "lost": "closed",
              "closed": "closed", "draft": "draft"}
#: ATZ's inbuilt "Interview" activity type, and the most activities a page may hold.
INTERVIEW_TYPE = 5
ACTIVITY_LIMIT = 25


class Jobs(AtzDerived):
    """``jobs``: each job met in the histories read, as ``GET /job/:slug`` read it this run."""

    name = "jobs"

    def derive(self, parent_record: dict) -> list[dict]:
        """Each of the candidate's changed jobs not yet emitted in this run.

        ATZ's job read has no status; the job's latest history row's ``job_status`` stands in.
        """
        cand = parent_record
        out = []
        for job in self.parent.histories[cand["id"]].jobs:
            raw = self.parent.jobs.get(job)
            if raw is None or not self.first_time(job):
                continue
            status = (raw.get("job_status") or self.parent.job_status.get(job, ("", {}))[1]
                      or {}).get("name")
            out.append({
                **self.base(cand, raw["slug"], ts(raw.get("created_at"))),
                "updated_at": ts(raw.get("updated_at")), "name": raw.get("position_name"),
                "code": None, "status": JOB_STATUS.get((status or "").lower(), "other"),
                "status_raw": status, "opened_at": midnight(raw.get("open_date")),
                "closed_at": midnight(raw.get("close_date")), "stages": None,
                "raw": self.raw(raw),
            })
        return out


def user_id(value: t.Any) -> str | None:
    """A user reference as its id: ATZ gives an object with ``id`` when maximized, else the id."""
    if isinstance(value, dict):
        value = value.get("id")
    return None if value is None or isinstance(value, bool | dict | list) else str(value)


class JobHiringTeam(AtzDerived):
    """``job_hiring_team``: each job's owner, from the job reads :class:`Jobs` uses (no request).

    ATZ names one owner per job (``owner_id`` is required when a job is added; the job read
    expands it with ``maximize=owner``). Its role is ``other`` (``role_raw`` ``owner``): every
    ATZ record has an owner, candidates and contacts too, so the owner is whoever holds the
    record, not a hiring-team role ATZ would name recruiter or hiring manager.
    """

    name = "job_hiring_team"

    def derive(self, parent_record: dict) -> list[dict]:
        """The owner of each of the candidate's changed jobs not yet emitted in this run."""
        cand = parent_record
        out = []
        for job in self.parent.histories[cand["id"]].jobs:
            raw = self.parent.jobs.get(job)
            owner = user_id((raw or {}).get("owner"))
            if raw is None or owner is None or not self.first_time(job):
                continue
            out.append({
                **self.base(cand, f"{raw['slug']}:{owner}:other", ts(raw.get("created_at"))),
                "updated_at": ts(raw.get("updated_at")), "job_id": str(raw["slug"]),
                "user_id": owner, "role": "other", "role_raw": "owner",
                "raw": self.raw(raw["owner"]) if isinstance(raw["owner"], dict) else None,
            })
        return out


class ActivityPaginator(LastPagePaginator):
    """Page numbers, newest change first, up to the first row older than ``since``.

    ``GET /activity`` sorts by ``updated_at`` descending, so every later row is older too. A row
    whose ``updated_at`` cannot be read counts as changed (the read goes on).
    """

    def __init__(self, since: dt.datetime | None) -> None:
        super().__init__(1)
        self.since = since

    def has_more(self, response: Answer) -> bool:  # type: ignore[override]
        """Whether a page follows and this one still ended inside the window."""
        rows = response.body["data"]
        if self.since is not None and rows and not changed_since(
                rows[-1].get("updated_at"), self.since):
            return False
        return super().has_more(response)


def activity_times(raw: dict) -> tuple[str | None, str | None]:
    """An activity's start and end: ``start_date`` with ``start_time`` / ``end_time``, in UTC.

    ATZ reads back a date and two ``HH:MM`` clock times with no zone (it is written as ISO 8601
    UTC); an end before the start is taken to be on the next day.
    """
    try:
        start = dt.datetime.fromisoformat(f"{raw['start_date']}T{raw['start_time']}")
    except (KeyError, TypeError, ValueError):
        return None, None
    start = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    try:
        end = dt.datetime.combine(start.date(), dt.time.fromisoformat(str(raw["end_time"])),
                                  start.tzinfo)
    except (KeyError, TypeError, ValueError):
        return ts(start.isoformat()), None
    if end < start:
        end += dt.timedelta(days=1)
    return ts(start.isoformat()), ts(end.isoformat())


class Interviews(AtzStream):
    """``GET /activity`` of type Interview, newest change first, down to the bookmark.

    ATZ's activity list is paged (``page``, ``limit`` at most 25), sortable by ``updated_at``
    descending and filterable by ``activity_type_id`` (5 is the inbuilt "Interview"); it has
    no change filter, so the read stops at the first row older than the bookmark less the
    lookback. An activity is related to one record (``related_to``, ``related_to_type``) and
    lists its attendees: ``job_id`` is the related job, the candidate the related candidate or
    else the one candidate attendee, ``application_id`` ``<candidate slug>:<job slug>`` when
    both are known (an interview logged on a candidate names no job, so it stays null).
    ``stage_id`` stays null (an activity names no talent stage), ``status`` is ``complete``
    when ``mark_as_done``, else ``scheduled`` (ATZ has no cancelled state and no status text,
    so ``status_raw`` stays null), ``organizer_id`` the creator, ``interviewer_ids`` the user
    attendees, ``location`` the location or else the meeting link.
    """

    name = "interviews"
    path = "/activity"
    #: The account's start time, set when its read begins (the paginator stops there).
    _since: dt.datetime | None = None

    def get_records(self, context: Context | None) -> Iterable[dict]:
        """Read one account from its own start time (the paginator stops there)."""
        self._since = self.start_time(context)
        yield from super().get_records(context)

    def get_new_paginator(self) -> ActivityPaginator:
        """Pages 1, 2, ... until ``last_page`` or a row older than the window."""
        return ActivityPaginator(self._since)

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        """Interviews only, newest change first, creator and editor expanded (as documented)."""
        return {"page": next_page_token or 1, "limit": min(self.page_size, ACTIVITY_LIMIT),
                "activity_type_id": INTERVIEW_TYPE, "sort_by": "updated_at",
                "sort_order": "desc", "maximize": "created_by,updated_by"}

    def records_from(self, payload: dict) -> list[dict]:
        """Only interviews changed inside the window (the last page may reach past it)."""
        return [row for row in payload["data"]
                if (row.get("activity_type") or {}).get("id") == INTERVIEW_TYPE
                and (self._since is None or changed_since(row.get("updated_at"), self._since))]

    def map_record(self, raw: dict) -> dict:
        """ATZ interview activity to the unified columns."""
        kind, target = raw.get("related_to_type"), raw.get("related_to")
        attendees = raw.get("attendees") or {}
        people = [str(c["slug"]) for c in attendees.get("candidates") or [] if c.get("slug")]
        job = str(target) if kind == "job" and target else None
        candidate = (str(target) if kind == "candidate" and target
                     else people[0] if len(people) == 1 else None)
        done = raw.get("mark_as_done")
        start, end = activity_times(raw)
        return {
            "id": str(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "application_id": f"{candidate}:{job}" if candidate and job else None,
            "job_id": job, "stage_id": None, "title": raw.get("title"),
            "status": None if done is None else "complete" if done else "scheduled",
            "status_raw": None, "start_at": start, "end_at": end,
            "location": raw.get("location") or raw.get("meeting_link"),
            "organizer_id": user_id(raw.get("created_by")),
            "interviewer_ids": [u for u in map(user_id, attendees.get("users") or []) if u],
        }
