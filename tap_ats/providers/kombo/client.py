"""Kombo's client: the provider and the base stream every Kombo stream is declared on.

:class:`Kombo` holds the settings and the integrations of this shard, looks rejection reason ids
up by name (a read that also serves the ``rejection_reasons`` stream), and words Kombo's errors
and hints. :class:`KomboStream` is the base client: URL,
bearer key and integration header, body cursor, the same filters on every page, the
``data.results`` envelope and :meth:`~KomboStream.fetch_all` for lookups; :func:`_common` fills
the columns every Kombo object shares.

Imports flow one way: :mod:`.streams` and :mod:`.entities` import this module, never the
reverse at load; :meth:`Kombo.stream_classes` imports them inside the method, when the tap asks.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from functools import cached_property

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator

from tap_ats.client import ATSStream
from tap_ats.conform import ts
from tap_ats.paging import BodyCursorPaginator, pages
from tap_ats.provider import Provider
from tap_ats.providers.kombo.errors import classified
from tap_ats.served import WholeList

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_ats.http import Answer

REJECTION_REASONS_PATH = "/ats/rejection-reasons"


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

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        super().__init__(config)
        #: Rejection reason ids by name, per integration; the same read serves the
        #: ``rejection_reasons`` stream, so it takes deleted reasons too (they name no id).
        self.reasons = WholeList(
            REJECTION_REASONS_PATH, "rejection_reasons", "applications.rejection_reason_id",
            lambda rows: {r["name"]: r["id"] for r in rows
                          if r.get("name") and not r.get("remote_deleted_at")},
            include_deleted="true")
        #: Stage order by Kombo stage id (ids are Kombo's, unique across integrations), from
        #: the applications' ``current_stage.index``: for job stages that lack their own.
        self.stage_index: dict[str, int] = {}

    def stream_classes(self) -> list[type]:
        """What Kombo serves: not candidate_history, demographics, custom_field_definitions.

        Imported here, not at the top: the stream modules import this one.
        """
        from tap_ats.providers.kombo import entities, streams

        return [streams.Applications, streams.KomboApplicationStages, entities.Sources,
                streams.Jobs, streams.JobStages, entities.Departments, entities.Offices,
                entities.JobHiringTeam, streams.Interviews, streams.Candidates, streams.Users,
                entities.Offers, entities.RejectionReasons, entities.Scorecards]

    def rejection_reason_id(self, stream: KomboStream, context: Context, name: str) -> str | None:
        """The id of the integration's rejection reason called ``name`` (None: not known)."""
        return self.reasons.index(stream, context).get(name)

    def listed(self, context: Context | None,
               path: str) -> tuple[list[dict], dt.datetime] | None:
        """The integration's rejection reasons if this run read them whole, and when."""
        return self.reasons.listed(context, path)

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


class KomboStream(ATSStream):
    """Base client: bearer key, integration header, body cursor, repeated filters."""

    records_key = "results"

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        """The API key as a bearer token (sent as a header, never in the URL)."""
        return BearerTokenAuthenticator(token=self.config["api_key"])

    def validate_response(self, response: requests.Response) -> None:
        """Kombo's ``error.code`` first, whatever the status (:mod:`.errors`), then the status."""
        if response.status_code >= 400 and (
                exc := classified(response, self.response_error_message(response))):
            raise exc
        super().validate_response(response)

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

    def fetch_all(self, path: str, context: Context, **filters: str) -> list[dict]:
        """Every record of ``path`` for the context's integration.

        ``filters`` go on every page: Kombo refuses a cursor sent with other filters.
        """

        def send(cursor: str | None) -> Answer:
            params = {"page_size": self.page_size, **filters,
                      **({"cursor": cursor} if cursor else {})}
            return self.send(self.build_prepared_request(
                method="GET", url=self.url_base + path, params=params,
                headers={**self.http_headers, "X-Integration-Id": context["account_id"]}),
                context)

        return [row for answer in pages(send, self.get_new_paginator(), self.page,
                                        f"kombo {path}") for row in self.page(answer)]


def _common(raw: dict) -> dict:
    """The common columns every Kombo object fills the same way."""
    return {"id": raw["id"], "remote_id": raw.get("remote_id"),
            "created_at": ts(raw.get("remote_created_at")), "updated_at": ts(raw.get("changed_at")),
            "deleted_at": ts(raw.get("remote_deleted_at"))}
