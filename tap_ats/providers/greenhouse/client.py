"""The base of every Greenhouse stream, and the small helpers their mappings share.

:class:`GreenhouseStream` holds what every request does alike: the shared OAuth token on each
attempt (a 401 answered once by a new token), ``Link`` pages followed exactly as given, and the
closed ``updated_at`` window on page 1. :class:`Prepared` reads a stream's lookups before a
page is mapped; :class:`Served` is a stream whose list another stream already read whole, as a
lookup, in this run. The provider (:mod:`.provider`) is named here for typing only.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_ats import served
from tap_ats.client import ATSStream
from tap_ats.paging import LinkPaginator, pages

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_ats.http import Answer
    from tap_ats.providers.greenhouse.provider import Greenhouse

#: Most values an ``ids`` filter takes.
MAX_IDS = 50


def batches(ids: t.Sequence[str]) -> t.Iterator[list[str]]:
    """``ids`` in lists of at most :data:`MAX_IDS`: as many as one ``*_ids`` filter takes."""
    for start in range(0, len(ids), MAX_IDS):
        yield list(ids[start:start + MAX_IDS])


def sid(value: t.Any) -> str | None:
    """A Greenhouse integer id as the unified string id."""
    return None if value is None else str(value)


def ids(values: t.Any) -> list[str]:
    """A list of Greenhouse ids (or of objects with one) as strings; anything else is none."""
    if not isinstance(values, list):
        return []
    return [str(v["id"] if isinstance(v, dict) else v) for v in values
            if v is not None and (not isinstance(v, dict) or v.get("id") is not None)]


def custom_values(fields: t.Any) -> dict | None:
    """Greenhouse ``custom_fields`` as field key -> value.

    v3 keys each field by its ``name_key`` with ``{name, type, value}``; a value that is no such
    object (v1's flat map, a currency ``{value, currency}``) is kept as it is.
    """
    if not isinstance(fields, dict):
        return None
    return {key: value["value"] if isinstance(value, dict) and "value" in value
            and ("type" in value or "name" in value) else value
            for key, value in fields.items()}


def stamp(when: dt.datetime) -> str:
    """A window bound in UTC with milliseconds, truncated (never past ``when``)."""
    when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def changed_at(row: dict) -> dt.datetime | None:
    """A row's ``updated_at`` as a time, or None when it has none that reads as one."""
    return served.moment(row.get("updated_at"))


def name_of(names: dict[str, dict] | None, key: t.Any) -> str | None:
    """The ``name`` of row ``key`` of a lookup, or None (no key, no such row, lookup refused)."""
    if names is None or key is None:
        return None
    return names.get(str(key), {}).get("name")


class GreenhouseStream(ATSStream):
    """Base client: shared OAuth token, Link-header pages, closed ``updated_at`` window."""

    #: The account being read: its lookups are paced and reported as that account's.
    _account: Context | None = None

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account, remembering which it is for the lookups its pages need."""
        self._account = context
        yield from super().get_records(context)

    @property
    def provider(self) -> Greenhouse:
        """The provider, typed."""
        return t.cast("Greenhouse", self.tap.provider)

    def get_new_paginator(self) -> LinkPaginator:
        """Next page from ``Link: <...>; rel="next"``."""
        return LinkPaginator()

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """A next page is the Link URL exactly as given (its cursor must travel alone)."""
        request = super().get_http_request(page=page)
        if page.next_page_token is not None:
            request.url = page.next_page_token.geturl()
        return request

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        """Page 1 only: the page size and, when incremental, the closed change window."""
        if next_page_token is not None:
            return {}
        params: dict[str, t.Any] = {"per_page": self.page_size}
        if self.replication_method == "INCREMENTAL":
            window = f"lte|{stamp(self.window_end)}"
            start = self.start_time(context)
            params["updated_at"] = window if start is None else f"gte|{stamp(start)}|{window}"
        return params

    def records_from(self, payload: list) -> list[dict]:
        """v3 answers a bare array."""
        return payload

    def fetch_all(self, path: str, context: Context | None,
                  params: dict[str, t.Any] | None = None) -> list[dict]:
        """Every record of the fixed ``path`` (``params`` filter it), following ``Link`` pages."""
        return list(self.fetch_each(path, context, params))

    def fetch_each(self, path: str, context: Context | None,
                   params: dict[str, t.Any] | None = None) -> t.Iterator[dict]:
        """:meth:`fetch_all`, a page at a time: a large list need not be held whole."""

        def send(link: t.Any) -> Answer:
            if link is None:
                return self.get(path.strip("/").split("/"), context,
                                per_page=self.provider.max_page_size, **(params or {}))
            return self.send(self.build_prepared_request(method="GET", url=link.geturl(),
                                                         headers=self.http_headers), context)

        for answer in pages(send, LinkPaginator(), self.page, f"greenhouse {path}"):
            yield from self.page(answer)

    def authorize(self, request: requests.PreparedRequest) -> None:
        """Before each attempt, the shared token (fetched or refreshed when due)."""
        token = self.provider.authenticator.token(self.tap.transport)
        request.headers["Authorization"] = f"Bearer {token}"

    def validate_response(self, response: requests.Response) -> None:
        """On a first 401, drop the token and retry with a new one; a second 401 is fatal."""
        sent = (response.request.headers.get("Authorization") or "").removeprefix("Bearer ")
        if response.status_code == 401 and self.provider.authenticator.token_refused(sent):
            msg = self.response_error_message(response) + "; fetching a new token"
            raise RetriableAPIError(msg, response)
        super().validate_response(response)
        self.provider.authenticator.token_accepted(sent)


class Prepared(GreenhouseStream):
    """A stream whose pages need lookups: :meth:`prepare` runs before a page with records."""

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Prepare for the page's records, then map them."""
        rows = answer.body
        if rows and isinstance(rows, list):
            self.prepare([row for row in rows if isinstance(row, dict)])
        yield from super().parse_page(answer)

    def prepare(self, rows: list[dict]) -> None:
        """Read what mapping ``rows`` needs (a lookup refused leaves its columns null)."""


class Served(served.Served, GreenhouseStream):
    """A list that is also a lookup (stages, sources, rejection reasons): :mod:`tap_ats.served`."""

    changed_at = staticmethod(changed_at)
