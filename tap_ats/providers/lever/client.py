"""Lever's client: the provider and the base streams every Lever stream is declared on.

:class:`Lever` holds the settings, looks archive reasons up by id (their text and whether they
are the hire) and words Lever's errors and hints. :class:`LeverStream` is the base client: the
API key as the basic-auth user, ``limit`` and the ``offset`` token from ``next`` while
``hasNext``, the ``data`` envelope. :class:`PerOpportunity` is the base of what Lever lists only
under one opportunity (offers, interviews, feedback): read for the opportunities that the
applications read of this run found changed, a page of them at a time, the reads overlapped
on ``max_concurrency`` threads (:mod:`tap_ats.overlap`).

Imports flow one way: :mod:`.streams` and :mod:`.entities` import this module, never the
reverse at load; :meth:`Lever.stream_classes` imports them inside the method, when the tap asks.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from contextlib import closing
from urllib.parse import urlsplit

from requests.auth import HTTPBasicAuth

from tap_ats.client import ATSStream
from tap_ats.derived import PageFed
from tap_ats.http import Refused
from tap_ats.overlap import Overlap
from tap_ats.paging import BodyCursorPaginator, pages
from tap_ats.provider import Provider
from tap_ats.served import WholeList

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

ARCHIVE_REASONS_PATH = "/archive_reasons"


class Lever(Provider):
    """Lever: one account per API key (``account_id`` labels it)."""

    name = "lever"
    default_url = "https://api.lever.co/v1"
    max_page_size = 100
    required = ("api_key",)
    #: Lever's documented steady limit, 10 requests a second per key.
    default_requests_per_minute = 600

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        super().__init__(config)
        #: Archive reason id -> (text, type), per account; the same read serves the
        #: ``rejection_reasons`` stream.
        self.reasons = WholeList(
            ARCHIVE_REASONS_PATH, "rejection_reasons",
            "applications.rejection_reason and status (hired)",
            lambda rows: {r["id"]: (r.get("text"), r.get("type")) for r in rows if r.get("id")})

    def stream_classes(self) -> list[type]:
        """What Lever serves (see the package docstring for what it does not).

        Imported here, not at the top: the stream modules import this one.
        """
        from tap_ats.providers.lever import entities, streams

        return [streams.Applications, streams.ApplicationStages, streams.Candidates,
                entities.Offers, entities.Interviews, entities.Scorecards, streams.Jobs,
                streams.JobStages, streams.Users, entities.RejectionReasons, entities.Sources]

    def archive_reason(self, stream: LeverStream, context: Context,
                       reason: str) -> tuple[str | None, str | None]:
        """(text, type) of the account's archive reason ``reason``; (None, None) if unknown.

        Unknown too when the list may not be read or gave up: the names and the hire status
        are then left null (:class:`~tap_ats.served.WholeList`).
        """
        return self.reasons.index(stream, context).get(reason, (None, None))

    def listed(self, context: Context | None,
               path: str) -> tuple[list[dict], dt.datetime] | None:
        """The account's archive reasons if this run read them whole, and when."""
        return self.reasons.listed(context, path)

    def error_detail(self, response: t.Any) -> str:
        """Lever's ``code`` and ``message``."""
        try:
            body = response.json()
            return f"{body['code']}: {body['message']}"
        except (ValueError, KeyError, TypeError):
            return super().error_detail(response)

    def auth_hint(self, status: int) -> str:
        """Which Lever credential to check."""
        return ("Check setting 'api_key' (a Lever API key from Settings > Integrations and API "
                "> API Credentials)")

    def permission_hint(self, stream: str, path: str) -> str:
        """Lever's API keys are scoped per endpoint."""
        return (f"give the API key read access to {path} (Lever: Settings > Integrations and "
                "API > API Credentials > the key's permissions)")


class LeverPaginator(BodyCursorPaginator):
    """The ``next`` offset token, while ``hasNext`` says there is more."""

    def get_next(self, response: Answer) -> str | None:  # type: ignore[override]
        """The next token, or None on the last page."""
        if not response.body.get("hasNext"):
            return None
        return super().get_next(response)


class LeverStream(ATSStream):
    """Base client: the API key as basic user, ``limit`` and ``offset``, ``data``."""

    @property
    def authenticator(self) -> HTTPBasicAuth:
        """The API key as the basic-auth user, password empty (a header, never the URL)."""
        return HTTPBasicAuth(self.config["api_key"], "")

    def get_new_paginator(self) -> LeverPaginator:
        """Offset tokens from ``next``."""
        return LeverPaginator(self.tap.provider.name, self.url_base, "next")

    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """Page size and the offset token (full lists: Lever has no change filter on them)."""
        return {"limit": self.page_size, "offset": next_page_token}

    def records_from(self, payload: dict) -> list[dict]:
        """Records in ``data``."""
        return payload["data"]

    def fetch_all(self, path: str, context: Context, **params: t.Any) -> list[dict]:
        """Every record of ``path`` (a lookup or a per-opportunity list), all pages."""
        def send(token: str | None) -> Answer:
            segments = path.strip("/").split("/")
            return self.get(segments, context, limit=self.page_size, offset=token, **params)

        return [row for answer in pages(send, self.get_new_paginator(), self.page,
                                        f"lever {path}") for row in self.page(answer)]


class PerOpportunity(PageFed, LeverStream):
    """A list Lever gives per opportunity only: read for the opportunities read this run.

    The applications read hands over each page's live opportunities (a deleted one answers
    404); an incremental run so reads them only for changed opportunities, as ATZ CRM's
    histories are. No bookmark of its own: the applications' one covers it, so a run killed
    part way reads the same opportunities again. A 404 (the opportunity deleted meanwhile)
    skips that opportunity; a 403 (the key lacks the scope) skips the stream for the account,
    with one warning, and it is not asked again this run.

    With ``max_concurrency`` above 1 a page's reads overlap (:mod:`tap_ats.overlap`): up to
    ``max_concurrency`` in flight, each within the key's pacer (10 requests a second by
    default), the account's first read alone (a refused scope costs one request), none while
    the API answers within 10 ms; records are written in the opportunities' order.
    """

    replication_key = None
    state_partitioning_keys: t.ClassVar[list[str]] = []
    #: The resource under ``/opportunities/<id>/``.
    resource: t.ClassVar[str]

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        self._refused: set[str] = set()
        #: The opportunity whose records are being mapped.
        self.opportunity: dict = {}
        #: The reads, overlapped on ``max_concurrency`` threads (one pool for the run).
        self.overlap = Overlap(self.tap.max_concurrency, f"lever-{self.resource}")

    @property
    def path(self) -> str:  # type: ignore[override]
        """The list path, as messages and the skip name it."""
        return f"/opportunities/{{id}}/{self.resource}"

    def request_records(self, context: Context | None) -> Iterator[dict]:
        """The records of every opportunity of the batch, in the batch's order.

        Read by :attr:`overlap` (up to ``max_concurrency`` at once, when the API is slow enough
        for that to pay), mapped and written here, one opportunity after another.
        """
        account = (context or {}).get("account_id", "")
        parent = self._tap.streams["applications"]
        batch = parent.take(context["batch"], self.name) if context else []
        if account in self._refused:
            return

        def read(opportunity: dict) -> list[dict] | None:
            try:
                return self.fetch_all(f"/opportunities/{opportunity['id']}/{self.resource}",
                                      context)
            except Refused as exc:
                if exc.status == 404:  # deleted meanwhile
                    return None
                raise

        with closing(self.overlap.map(read, batch, account)) as reads:
            for opportunity in batch:
                try:
                    rows = next(reads)
                except Refused as exc:
                    self._refused.add(account)
                    raise Refused(str(exc), exc.status,
                                  urlsplit(self.url_base + self.path).path) from exc
                if rows is None:
                    continue
                self.opportunity = opportunity
                page = [self.unified(raw) for raw in rows]
                for record in page:
                    record["account_id"] = account
                self.progress.page(len(page))
                yield from page
