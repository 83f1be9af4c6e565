"""Ashby's client: the provider and the base stream every Ashby stream is declared on.

:class:`Ashby` holds the settings and words Ashby's errors and hints. :class:`AshbyStream` is the
base client: ``POST`` to ``/x.list`` with the filters in a JSON body, the API key as basic user,
``nextCursor`` while ``moreDataAvailable``, Ashby's ``success: false`` errors, and the
``syncToken`` of the streams whose endpoint takes one, kept in the account's partition state.

Imports flow one way: :mod:`.streams`, :mod:`.history` and :mod:`.entities` import this module,
never the reverse at load; :meth:`Ashby.stream_classes` imports them inside the method, when
the tap asks.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

import requests
from requests.auth import HTTPBasicAuth
from singer_sdk.exceptions import FatalAPIError

from tap_ats.client import ATSStream
from tap_ats.http import Refused
from tap_ats.outcomes import account_of
from tap_ats.paging import BodyCursorPaginator, pages
from tap_ats.provider import Provider

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

#: Ashby's error codes that mean "this sync token can no longer be used: read in full".
FULL_SYNC_CODES = {"sync_token_expired", "incremental_sync_too_large"}
#: Codes of a key that lacks the permission an endpoint needs (a scoped key).
PERMISSION_CODES = {"missing_endpoint_permission", "missing_permission", "forbidden"}
#: The API key permission each stream's endpoint needs, as Ashby names them (``candidatesRead``
#: ...; ``application.listHistory``'s and ``applicationFeedback.list``'s too); those of users,
#: departments and locations are our reading, not documented.
PERMISSIONS = {"applications": "candidatesRead", "application_stages": "candidatesRead",
               "candidates": "candidatesRead", "scorecards": "candidatesRead",
               "interviews": "interviewsRead", "offers": "offersRead", "jobs": "jobsRead",
               "job_stages": "interviewsRead",
               "job_hiring_team": "jobsRead", "users": "organizationRead",
               "departments": "organizationRead", "offices": "organizationRead",
               "sources": "hiringProcessMetadataRead",
               "rejection_reasons": "hiringProcessMetadataRead",
               "custom_field_definitions": "hiringProcessMetadataRead"}


class Ashby(Provider):
    """Ashby: one organisation per API key, one account (``account_id``, default ``ashby``)."""

    name = "ashby"
    default_url = "https://api.ashbyhq.com"
    max_page_size = 100
    required = ("api_key",)

    def stream_classes(self) -> list[type]:
        """What Ashby serves (see the package docstring for what it does not).

        Imported here, not at the top: the stream module imports this one.
        """
        from tap_ats.providers.ashby import entities, history, streams

        return [streams.Applications, history.ApplicationStages, streams.Jobs,
                streams.JobStages, streams.JobHiringTeam, streams.Interviews, streams.Candidates,
                streams.Users, streams.Offers, entities.Scorecards, streams.Departments,
                streams.Offices, streams.Sources, streams.RejectionReasons,
                streams.CustomFieldDefinitions]

    def error_detail(self, response: requests.Response) -> str:
        """Ashby's ``errorInfo.code`` and message, else its ``errors``."""
        try:
            body = response.json()
            return error_text(body)
        except (ValueError, TypeError, AttributeError):
            return super().error_detail(response)

    def auth_hint(self, status: int) -> str:
        """Which Ashby credential to check."""
        return ("Check setting 'api_key' (an Ashby API key from Admin > Integrations > API Keys, "
                "sent as the basic-auth user with an empty password)")

    def permission_hint(self, stream: str, path: str) -> str:
        """Ashby grants API keys permissions per module."""
        permission = PERMISSIONS.get(stream, "the module's read")
        return (f"give the API key the {permission} permission (Ashby Admin > Integrations > "
                "API Keys)")


def error_text(body: dict) -> str:
    """One line from an Ashby error body: ``code: message``."""
    info = body.get("errorInfo") or {}
    if info.get("code"):
        return f"{info['code']}: {info.get('message') or ''}".rstrip(": ")
    return "; ".join(str(e) for e in body.get("errors") or []) or "success: false"


def error_code(body: dict) -> str | None:
    """The code of an Ashby error body: ``errorInfo.code``, else the first of ``errors``."""
    info = body.get("errorInfo") or {}
    errors = body.get("errors") or [None]
    return info.get("code") or (errors[0] if isinstance(errors[0], str) else None)


class SyncTokenExpired(FatalAPIError):
    """Ashby will not continue from the stored sync token: the stream is read in full once."""


class AshbyPaginator(BodyCursorPaginator):
    """``nextCursor`` while ``moreDataAvailable`` is true."""

    def get_next(self, response: Answer) -> str | None:  # type: ignore[override]
        """The next cursor, or None on the last page (whatever ``nextCursor`` holds then)."""
        if not (isinstance(response.body, dict) and response.body.get("moreDataAvailable")):
            return None
        return super().get_next(response)


class AshbyStream(ATSStream):
    """Base client: POST with a JSON body, basic auth, cursor, sync token, Ashby's errors."""

    http_method = "POST"
    #: Whether the endpoint takes a ``syncToken`` (incremental); a stream whose endpoint does
    #: not sets this False and ``replication_key`` None: it is read in full on every run.
    sync_token: t.ClassVar[bool] = True

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        #: The sync token each account's read in progress ended on, until its bookmark is set.
        self._tokens: dict[str, str] = {}
        #: Accounts whose token Ashby refused in this run: read in full, without one.
        self._full: set[str] = set()
        self._reading: str | None = None

    @property
    def authenticator(self) -> HTTPBasicAuth:
        """The API key as the basic-auth user, empty password (a header, never the URL)."""
        return HTTPBasicAuth(self.config["api_key"], "")

    def get_new_paginator(self) -> AshbyPaginator:
        """Cursor in ``nextCursor``."""
        return AshbyPaginator(self.tap.provider.name, self.url_base, "nextCursor")

    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """None: everything goes in the body."""
        return {}

    def body(self, context: Context | None) -> dict[str, t.Any]:
        """The endpoint's own filters, sent on every page."""
        return {}

    def prepare_request_payload(self, context: Context | None,
                                next_page_token: str | None) -> dict:
        """``limit``, the filters, the stored ``syncToken`` and the cursor after page one."""
        payload: dict[str, t.Any] = {"limit": self.page_size, **self.body(context)}
        if (token := self.stored_token(context)) is not None:
            payload["syncToken"] = token
        if next_page_token:
            payload["cursor"] = next_page_token
        return payload

    def stored_token(self, context: Context | None) -> str | None:
        """The account's sync token from the state, unless Ashby refused it in this run."""
        if not self.sync_token or account_of(context) in self._full:
            return None
        return self.get_context_state(context).get("sync_token")

    def records_from(self, payload: dict) -> list[dict]:
        """Records in ``results``; ``success: false`` is Ashby's error, whatever the status."""
        if payload.get("success") is False:
            raise self.refusal(payload, self.path)
        return payload["results"]

    def refusal(self, payload: dict, path: str) -> Exception:
        """The exception for an Ashby error body answered on ``path``."""
        code = error_code(payload)
        message = f"ashby POST {path} answered {error_text(payload)}"
        if code in FULL_SYNC_CODES:
            return SyncTokenExpired(message)
        if code in PERMISSION_CODES:
            return Refused(message, 403, urlsplit(self.url_base + path).path)
        return FatalAPIError(message)

    def validate_response(self, response: requests.Response) -> None:
        """An expired sync token answered with an error status is still a full read."""
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and error_code(body) in FULL_SYNC_CODES:
                raise self.refusal(body, urlsplit(response.request.url).path)
        super().validate_response(response)

    def request_records(self, context: Context | None) -> t.Iterator[dict]:
        """Read the account; a sync token Ashby no longer takes means one full read, logged."""
        self._reading = account_of(context)
        try:
            yield from super().request_records(context)
        except SyncTokenExpired as exc:
            account = account_of(context) or ""
            if account in self._full or self.stored_token(context) is None:
                raise
            self._full.add(account)
            self.logger.warning("ashby account %s, stream %s: %s; reading the stream in full "
                                "once for a new sync token", account, self.name, exc)
            yield from super().request_records(context)

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Map a page; the last page of a pass carries the next sync token: keep it."""
        body = answer.body
        if self.sync_token and isinstance(body, dict) and not body.get("moreDataAvailable") \
                and body.get("syncToken") and self._reading is not None:
            self._tokens[self._reading] = str(body["syncToken"])
        yield from super().parse_page(answer)

    def ended(self, context: Context) -> None:
        """The account was read in full: store its new sync token beside the bookmark."""
        super().ended(context)
        account = account_of(context) or ""
        token = self._tokens.pop(account, None)
        if token and self.tap.report.stream(account, self.name).status != "partial":
            self.get_context_state(context)["sync_token"] = token

    def fetch_all(self, path: str, context: Context, body: dict[str, t.Any]) -> list[dict]:
        """Every record of ``path`` for ``body`` (a lookup: no sync token), through the pager."""

        def send(cursor: str | None) -> Answer:
            payload = {**body, **({"cursor": cursor} if cursor else {})}
            answer = self.send(self.build_prepared_request(
                method="POST", url=self.url_base + path, headers=self.http_headers,
                json=payload), context)
            if isinstance(answer.body, dict) and answer.body.get("success") is False:
                raise self.refusal(answer.body, path)
            return answer

        return [row for answer in pages(send, self.get_new_paginator(), self.page,
                                        f"ashby {path}") for row in self.page(answer)]


def name_of(value: t.Any) -> dict:
    """A nested Ashby object, or an empty one where Ashby gives null."""
    return value if isinstance(value, dict) else {}
