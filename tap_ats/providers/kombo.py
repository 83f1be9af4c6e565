"""Kombo's unified ATS API (``/v1/ats/...``).

- Auth: ``Authorization: Bearer <api_key>`` plus ``X-Integration-Id`` per integration; each
  integration in ``integration_ids`` is one account (its own state partition).
- Pages: ``page_size`` (max 250) and ``cursor`` from ``data.next``; Kombo wants the same filters
  on every page, so every request repeats them.
- Incremental: ``updated_after`` also matches nested changes that leave ``changed_at`` alone,
  so the next bookmark is the time the integration's sync started (Kombo's own guidance), less
  ``lookback_window`` on the next run.
- Deletes: ``include_deleted=true`` always; ``remote_deleted_at`` becomes ``deleted_at``.
- Stage history: Kombo exposes only the current stage, so ``application_stages`` rows are
  observed from each application read (``origin=observed``); ``job_stages`` are flattened from
  ``jobs[].stages`` (``remote_id`` and ``raw`` from that stage object itself). Neither costs a
  request. Names come from the nested objects of the same record: ``current_stage.name``,
  ``rejection_reason_name``, the interview's ``application.job_id`` and ``users[].id``.
- Not filled, because Kombo's objects do not carry them: ``applications.source`` (only the
  candidate has one), ``interviews.organizer_id`` and a status beyond ``canceled``. No
  ``users`` stream: our API reference documents no Kombo users endpoint.
- Rate limit: none is published for reads; ``max_requests_per_minute`` paces each integration
  if set, and 429s are retried after ``Retry-After``.
- Kombo by default only syncs applications created through Kombo: turn off "Only Sync Created
  Applications" in the Kombo dashboard to read every application.
"""

from __future__ import annotations

import typing as t
from functools import cached_property

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator

from tap_ats.client import ATSStream, BodyCursorPaginator, DerivedStream, ObservedStages, ts
from tap_ats.providers import Provider

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

APPLICATION_STATUS = {"PENDING": "active", "HIRED": "hired", "DECLINED": "rejected"}
JOB_STATUS = {"OPEN": "open", "CLOSED": "closed", "DRAFT": "draft", "ARCHIVED": "archived"}


class Kombo(Provider):
    """Kombo: one account per integration id."""

    name = "kombo"
    default_url = "https://api.kombo.dev/v1"
    max_page_size = 250
    required = ("api_key", "integration_ids")

    @cached_property
    def accounts(self) -> list[str]:
        """The configured integration ids that fall in ``account_shard``."""
        return [i for i in self.config["integration_ids"] if self.shard.holds(i)]

    def stream_classes(self) -> list[type]:
        """Everything but candidate_history, which Kombo does not offer."""
        return [Applications, KomboApplicationStages, Jobs, JobStages, Interviews, Candidates]

    def error_detail(self, response: t.Any) -> str:
        """Kombo's ``error.code`` and ``error.message``."""
        try:
            err = response.json()["error"]
            return f"{err['code']}: {err['message']}"
        except (ValueError, KeyError, TypeError):
            return super().error_detail(response)

    def auth_hint(self, status: int) -> str:
        """Which Kombo credential to check."""
        return "Check setting 'api_key' (a Kombo API key from the dashboard's Secrets page)"

    def permission_hint(self, stream: str, path: str) -> str:
        """Kombo enables data models per integration, in its scope configuration."""
        return (f"enable the {stream} model in this integration's scope configuration (Kombo "
                "dashboard) or ask Kombo whether the integration offers it")

    def account_unknown(self, response: requests.Response) -> bool:
        """A 404 ``PLATFORM.INTEGRATION_NOT_FOUND``: the integration id itself is unknown."""
        return response.status_code == 404 and "INTEGRATION_NOT_FOUND" in response.text


class KomboStream(ATSStream):
    """Base client: bearer key, integration header, body cursor, repeated filters."""

    records_key = "results"

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        """The API key as a bearer token (sent as a header, never in the URL)."""
        return BearerTokenAuthenticator(token=self.config["api_key"])

    def get_new_paginator(self) -> BodyCursorPaginator:
        """Cursor in ``data.next``."""
        return BodyCursorPaginator(self.tap.provider.name, self.url_base, "data", "next")

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """Add the integration of the partition being read."""
        request = super().get_http_request(page=page)
        request.headers["X-Integration-Id"] = page.stream_context["account_id"]
        return request

    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """The same filters on every page, plus the cursor after the first."""
        params: dict[str, t.Any] = {"page_size": self.page_size, "include_deleted": "true"}
        if (start := self.start_time(context)) is not None:
            params["updated_after"] = start.strftime("%Y-%m-%dT%H:%M:%S.") + (
                f"{start.microsecond // 1000:03d}Z")
        if next_page_token:
            params["cursor"] = next_page_token
        return params

    def records_from(self, payload: dict) -> list[dict]:
        """Records in ``data.results``."""
        return payload["data"]["results"]


class Applications(KomboStream):
    """``GET /ats/applications``; feeds the observed ``application_stages``."""

    name = "applications"
    path = "/ats/applications"

    def map_record(self, raw: dict) -> dict:
        """Kombo application to the unified columns."""
        outcome = raw.get("outcome")
        return {
            "id": raw["id"], "remote_id": raw.get("remote_id"),
            "created_at": ts(raw.get("remote_created_at")), "updated_at": ts(raw.get("changed_at")),
            "deleted_at": ts(raw.get("remote_deleted_at")),
            "candidate_id": raw.get("candidate_id"), "job_id": raw.get("job_id"),
            "current_stage_id": raw.get("current_stage_id"),
            "current_stage_name": (raw.get("current_stage") or {}).get("name"),
            "status": APPLICATION_STATUS.get(outcome, "other"), "status_raw": outcome,
            "applied_at": ts(raw.get("remote_created_at")),
            "rejected_at": ts(raw.get("rejected_at")),
            "rejection_reason": raw.get("rejection_reason_name"), "source": None,
        }


class KomboApplicationStages(ObservedStages):
    """Observed stage rows, one per application read."""

    parent_stream_type = Applications


class Jobs(KomboStream):
    """``GET /ats/jobs`` with their ``stages``; feeds ``job_stages``."""

    name = "jobs"
    path = "/ats/jobs"

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        #: The source stage objects of the jobs of the page being read, by job id.
        self.source_stages: dict[str, list[dict]] = {}

    def parse_response(self, response: t.Any) -> t.Iterator[dict]:
        """Map a page, keeping only this page's source stages (the previous page's are out)."""
        self.source_stages.clear()
        yield from super().parse_response(response)

    def map_record(self, raw: dict) -> dict:
        """Kombo job to the unified columns."""
        status = raw.get("status")
        self.source_stages[raw["id"]] = raw.get("stages") or []
        return {
            "id": raw["id"], "remote_id": raw.get("remote_id"),
            "created_at": ts(raw.get("remote_created_at")), "updated_at": ts(raw.get("changed_at")),
            "deleted_at": ts(raw.get("remote_deleted_at")),
            "name": raw.get("name"), "code": raw.get("job_code"),
            "status": JOB_STATUS.get(status, "other"), "status_raw": status,
            "opened_at": ts(raw.get("opened_at")), "closed_at": ts(raw.get("closed_at")),
            "stages": [{"id": s["id"], "name": s.get("name"), "order": s.get("index"),
                        "active": s.get("status") != "INACTIVE"} for s in raw.get("stages") or []],
        }


class JobStages(DerivedStream):
    """``job_stages`` flattened from ``jobs[].stages``."""

    name = "job_stages"
    parent_stream_type = Jobs

    def derive(self, parent_record: dict) -> list[dict]:
        """One row per stage of the job, its source object kept as ``raw``."""
        job = parent_record
        jobs = t.cast("Jobs", self._tap.streams[Jobs.name])
        sources = {s.get("id"): s for s in jobs.source_stages.pop(job["id"], [])}
        return [{
            "provider": job["provider"], "account_id": job["account_id"], "id": s["id"],
            "remote_id": sources.get(s["id"], {}).get("remote_id"),
            "created_at": job["created_at"], "updated_at": job["updated_at"],
            "deleted_at": job["deleted_at"], "_sdc_deleted_at": job["deleted_at"],
            "job_id": job["id"], "name": s["name"], "order": s["order"], "active": s["active"],
            "raw": sources.get(s["id"]) if self._tap.include_raw else None,
        } for s in job["stages"] or []]


class Interviews(KomboStream):
    """``GET /ats/interviews``."""

    name = "interviews"
    path = "/ats/interviews"

    def map_record(self, raw: dict) -> dict:
        """Kombo interview to the unified columns; Kombo has no status beyond ``canceled``."""
        location = raw.get("location") or {}
        return {
            "id": raw["id"], "remote_id": raw.get("remote_id"),
            "created_at": ts(raw.get("remote_created_at")), "updated_at": ts(raw.get("changed_at")),
            "deleted_at": ts(raw.get("remote_deleted_at")),
            "application_id": raw.get("application_id"),
            "job_id": (raw.get("application") or {}).get("job_id"),
            "stage_id": raw.get("stage_id"), "title": raw.get("title"),
            "status": "canceled" if raw.get("canceled") else None,
            "status_raw": "canceled" if raw.get("canceled") else None,
            "start_at": ts(raw.get("starting_at")), "end_at": ts(raw.get("ending_at")),
            "location": location.get("raw") if isinstance(location, dict) else location,
            "organizer_id": None,
            "interviewer_ids": [u["id"] for u in raw.get("users") or [] if u.get("id")],
        }


class Candidates(KomboStream):
    """``GET /ats/candidates``."""

    name = "candidates"
    path = "/ats/candidates"

    def map_record(self, raw: dict) -> dict:
        """Kombo candidate to the unified columns."""
        return {
            "id": raw["id"], "remote_id": raw.get("remote_id"),
            "created_at": ts(raw.get("remote_created_at")), "updated_at": ts(raw.get("changed_at")),
            "deleted_at": ts(raw.get("remote_deleted_at")),
            "first_name": raw.get("first_name"), "last_name": raw.get("last_name"),
            "emails": [e["email_address"] for e in raw.get("email_addresses") or []],
            "phones": [p["phone_number"] for p in raw.get("phone_numbers") or []],
            "company": raw.get("company"), "title": raw.get("title"),
            "tags": [tag["name"] for tag in raw.get("tags") or []],
        }
