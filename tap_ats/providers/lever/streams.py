"""Lever's core streams: opportunities as applications, their stage history, and what they name.

Applications read ``/opportunities`` (changed since the bookmark, ``applications`` and
``stage`` expanded in the same request) and then ``/opportunities/deleted``; the native stage
history (``stageChanges``) and the candidates (the opportunity's contact) come from the same
records at no request's cost. Postings, stages and users are read in full: Lever filters none
of them by change time.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from tap_ats.conform import ts
from tap_ats.derived import DerivedStream, DistinctDerived, name_id
from tap_ats.http import Refused
from tap_ats.paging import pages
from tap_ats.providers.lever.client import LeverStream, PerOpportunity

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

DELETED_PATH = "/opportunities/deleted"
POSTING_STATUS = {"published": "open", "internal": "open", "closed": "closed", "draft": "draft",
                  "pending": "draft", "rejected": "closed"}
#: The columns of an application that a deleted opportunity (an id and a time) leaves null.
APPLICATION_COLUMNS = ("candidate_id", "job_id", "current_stage_id", "current_stage_name",
                       "status", "status_raw", "applied_at", "rejected_at", "rejection_reason",
                       "source", "source_id", "rejection_reason_id", "custom_fields")


def ms_time(value: t.Any) -> str | None:
    """A Lever time (milliseconds since the epoch) as RFC 3339 with milliseconds.

    Anything else goes to :func:`ts`: a string it can read, else null and counted as unreadable.
    """
    if value.__class__ is int or value.__class__ is float:
        try:
            stamp = dt.datetime.fromtimestamp(value / 1000, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return ts(str(value))
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return ts(value)


def sid(value: t.Any) -> str | None:
    """An id that points at another record, as a string (a number is read as one)."""
    return None if value is None or value == "" else str(value)


def ms_param(context_time: t.Any) -> int:
    """A datetime as Lever's millisecond filters take it."""
    return int(context_time.timestamp() * 1000)


class Applications(LeverStream):
    """``GET /opportunities`` (``updated_at_start``), then ``GET /opportunities/deleted``."""

    name = "applications"
    path = "/opportunities"

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        #: Source records of the page being handed to the derived streams, by id (``raw`` may
        #: be off), and the one whose derived rows are being made.
        self._sources: dict[str, dict] = {}
        self.source: dict = {}

    def request_records(self, context: Context | None) -> Iterator[dict]:
        """Keep the context: the archive reason lookup reads the account's list on need."""
        self._context = context
        yield from super().request_records(context)

    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """Changed since the bookmark, confidential ones too (if the key may), names expanded."""
        params = {**super().get_url_params(context, next_page_token),
                  "confidentiality": "all", "expand": ["applications", "stage"]}
        if (start := self.start_time(context)) is not None:
            params["updated_at_start"] = ms_param(start)
        return params

    def _answers(self, context: Context | None) -> Iterator[Answer]:
        """The changed opportunities, then those deleted since the bookmark (if the key may)."""
        yield from super()._answers(context)
        start = self.start_time(context)

        def send(token: str | None) -> Answer:
            return self.get(("opportunities", "deleted"), context, limit=self.page_size,
                            offset=token,
                            deleted_at_start=None if start is None else ms_param(start))

        try:
            yield from pages(send, self.get_new_paginator(), self.page,
                             "lever /opportunities/deleted")
        except Refused as exc:  # a key without that scope: the rest is read, deletes are not
            self.tap.report.refused_lookup(
                self.logger, context["account_id"], self.name, DELETED_PATH,
                f"answered {exc.status}", "applications.deleted_at (deletes are not read)",
                self.tap.provider.permission_hint(self.name, DELETED_PATH))

    def generate_child_contexts(self, record: dict, context: Context | None) -> t.Iterable:
        """Hand each live opportunity to the per-opportunity streams selected."""
        self.source = self._sources.pop(record["id"], {})
        if record["deleted_at"] is None:
            for child in self.child_streams:
                if child.selected and isinstance(child, PerOpportunity):
                    self._pending[child.name].append(record)
        yield from super().generate_child_contexts(record, context)

    def map_record(self, raw: dict) -> dict:
        """Lever opportunity (or deleted opportunity) to the unified columns."""
        if "stageChanges" not in raw and "deletedAt" in raw:
            deleted = ms_time(raw["deletedAt"])
            return {"id": raw["id"], "remote_id": None, "created_at": None,
                    "updated_at": deleted, "deleted_at": deleted,
                    **dict.fromkeys(APPLICATION_COLUMNS)}
        self._sources[str(raw["id"])] = raw
        archived = raw.get("archived") or {}
        reason = archived.get("reason")
        text, kind = (self.tap.provider.archive_reason(self, self._context, reason)
                      if reason else (None, None))
        hired = kind == "hired"
        applications = [a for a in raw.get("applications") or [] if isinstance(a, dict)]
        stage = raw.get("stage")
        stage = stage if isinstance(stage, dict) else {"id": stage}
        sources = raw.get("sources") or []
        status = "active" if not reason else "hired" if hired else (
            "rejected" if kind else "other")
        return {"id": raw["id"], "remote_id": None, "created_at": ms_time(raw.get("createdAt")),
                "updated_at": ms_time(raw.get("updatedAt")), "deleted_at": None,
                "candidate_id": sid(raw.get("contact")),
                "job_id": sid(applications[0].get("posting")) if applications else None,
                "current_stage_id": sid(stage.get("id")), "current_stage_name": stage.get("text"),
                "status": status, "status_raw": kind,
                "applied_at": ms_time(raw.get("createdAt")),
                "rejected_at": None if hired else ms_time(archived.get("archivedAt")),
                "rejection_reason": None if hired else text,
                "source": sources[0] if sources else None,
                "source_id": name_id(sources[0]) if sources else None,
                "rejection_reason_id": sid(reason), "custom_fields": None}


class ApplicationStages(DerivedStream):
    """Native history: one row per ``stageChanges`` entry, the n-th one ``<opportunity>:<n>``.

    A change's ``updatedAt`` is when the opportunity entered ``toStageId``; it left it at the
    next change. Stage names come from the ``/stages`` read (``job_stages``), not repeated here.
    """

    name = "application_stages"
    parent_stream_type = Applications

    def derive(self, parent_record: dict) -> list[dict]:
        """The opportunity's stage changes, in order."""
        app, raw = parent_record, self._tap.streams[Applications.name].source
        changes = raw.get("stageChanges") or []
        rows = []
        for n, change in enumerate(changes):
            later = changes[n + 1] if n + 1 < len(changes) else None
            entered = ms_time(change.get("updatedAt"))
            rows.append({
                "provider": app["provider"], "account_id": app["account_id"],
                "id": f"{app['id']}:{n}", "remote_id": None, "created_at": entered,
                "updated_at": app["updated_at"], "deleted_at": None, "_sdc_deleted_at": None,
                "application_id": app["id"], "job_id": app["job_id"],
                "candidate_id": app["candidate_id"], "stage_id": sid(change.get("toStageId")),
                "stage_name": app["current_stage_name"] if later is None else None,
                "entered_at": entered,
                "exited_at": ms_time(later.get("updatedAt")) if later else None,
                "is_current": later is None, "origin": "native", "observed_at": None,
                "raw": change if self._tap.include_raw else None})
        return rows


class Candidates(DistinctDerived):
    """The opportunity's contact (Lever's person): name, emails, phones, headline, tags."""

    name = "candidates"
    parent_stream_type = Applications

    def derive_all(self, parent_record: dict) -> list[dict]:
        """The contact of a live opportunity."""
        app, raw = parent_record, self._tap.streams[Applications.name].source
        if app["deleted_at"] is not None or not raw.get("contact"):
            return []
        first, _, last = (raw.get("name") or "").partition(" ")
        return [{"provider": app["provider"], "account_id": app["account_id"],
                 "id": str(raw["contact"]), "remote_id": None, "created_at": app["created_at"],
                 "updated_at": app["updated_at"], "deleted_at": None, "_sdc_deleted_at": None,
                 "first_name": first or None, "last_name": last or None,
                 "emails": list(raw.get("emails") or []),
                 "phones": [p.get("value") for p in raw.get("phones") or [] if p.get("value")],
                 "company": raw.get("headline"), "title": None,
                 "tags": [str(tag) for tag in raw.get("tags") or []], "custom_fields": None,
                 "raw": None}]


class Jobs(LeverStream):
    """``GET /postings`` (confidential ones too, if the key may see them)."""

    name = "jobs"
    path = "/postings"

    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """Every state, confidential too."""
        return {**super().get_url_params(context, next_page_token), "confidentiality": "all"}

    def map_record(self, raw: dict) -> dict:
        """Lever posting to the unified columns (no open or close time in Lever's posting)."""
        state = raw.get("state")
        return {"id": raw["id"], "remote_id": None, "created_at": ms_time(raw.get("createdAt")),
                "updated_at": ms_time(raw.get("updatedAt")), "deleted_at": None,
                "name": raw.get("text"), "code": raw.get("reqCode"),
                "status": POSTING_STATUS.get(state, "other"), "status_raw": state,
                "opened_at": None, "closed_at": None, "stages": None, "department_ids": None,
                "office_ids": None, "custom_fields": None}


class JobStages(LeverStream):
    """``GET /stages``: the account's pipeline, in order; Lever's stages belong to no posting."""

    name = "job_stages"
    path = "/stages"

    def request_records(self, context: Context | None) -> Iterator[dict]:
        """Number the stages in the order Lever lists them (its pipeline order)."""
        self._position = 0
        yield from super().request_records(context)

    def map_record(self, raw: dict) -> dict:
        """Lever stage to the unified columns: its place in the list is its order."""
        order, self._position = self._position, self._position + 1
        return {"id": raw["id"], "remote_id": None, "created_at": None, "updated_at": None,
                "deleted_at": None, "job_id": None, "name": raw.get("text"), "order": order,
                "active": True}


class Users(LeverStream):
    """``GET /users``, the deactivated too (``includeDeactivated=true``)."""

    name = "users"
    path = "/users"

    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """Deactivated users too: they stay the interviewers of past interviews."""
        return {**super().get_url_params(context, next_page_token),
                "includeDeactivated": "true"}

    def map_record(self, raw: dict) -> dict:
        """Lever user to the unified columns."""
        return {"id": raw["id"], "remote_id": None, "created_at": ms_time(raw.get("createdAt")),
                "updated_at": None, "deleted_at": None, "name": raw.get("name"),
                "email": raw.get("email"), "active": raw.get("deactivatedAt") is None}
