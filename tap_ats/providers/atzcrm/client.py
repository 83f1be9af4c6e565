"""ATZ CRM's client: the provider and the base stream and pages every ATZ stream is declared on.

:class:`AtzCrm` holds the settings (``atzcrm_full_refresh_days`` checked here), lists the
streams and words ATZ's errors and hints. :class:`AtzStream` is the base client: the API token
as a bearer token. :class:`LastPagePaginator` follows ATZ's Laravel-style page envelope, for the
candidate list and (through :class:`~tap_ats.providers.atzcrm.entities.ActivityPaginator`) the
activity list. :func:`parse_time` and :func:`changed_since` read the change times that the history
and activity reads both filter on.

Imports flow one way: :mod:`.history`, :mod:`.streams` and :mod:`.entities` import this module,
never the reverse at load; :meth:`AtzCrm.stream_classes` imports them inside the method, when
the tap asks.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.pagination import PageNumberPaginator

from tap_ats.client import ATSStream
from tap_ats.conform import ts
from tap_ats.provider import Provider, SettingError, number

if t.TYPE_CHECKING:
    from tap_ats.http import Answer

DEFAULT_REFRESH_DAYS = 7


class AtzCrm(Provider):
    """ATZ CRM: one account per API token."""

    name = "atzcrm"
    default_url = "https://api.atzcrm.com/v1"
    max_page_size = 100
    required = ("api_token",)
    default_requests_per_minute = 60

    def validate(self) -> None:
        """The base checks, plus a non-negative ``atzcrm_full_refresh_days``."""
        super().validate()
        days = number(self.config, "atzcrm_full_refresh_days", DEFAULT_REFRESH_DAYS)
        if days < 0:
            msg = ("setting 'atzcrm_full_refresh_days' must be a number of days, 0 or more "
                   "(0 re-reads every history on every run), got "
                   f"{self.config['atzcrm_full_refresh_days']!r}")
            raise SettingError(msg)

    def stream_classes(self) -> list[type]:
        """Candidates, their history, what derives from it and the job reads; interviews.

        Imported here, not at the top: the stream modules import this one.
        """
        from tap_ats.providers.atzcrm import entities, streams

        return [streams.Candidates, streams.CandidateHistory, streams.Applications,
                streams.ApplicationStages, streams.JobStages, entities.Jobs,
                entities.JobHiringTeam, entities.Interviews]

    def error_detail(self, response: t.Any) -> str:
        """ATZ's ``message``."""
        try:
            return str(response.json()["message"])
        except (ValueError, KeyError, TypeError):
            return super().error_detail(response)

    def auth_hint(self, status: int) -> str:
        """Which ATZ credential to check."""
        return "Check setting 'api_token' (an ATZ CRM API token)"

    def permission_hint(self, stream: str, path: str) -> str:
        """ATZ CRM documents no per-endpoint permission: the token's user must see them."""
        return f"check that the API token's user may read {path} in ATZ CRM"


class AtzStream(ATSStream):
    """An ATZ CRM list endpoint: the API token as a bearer token."""

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        """The API token as a bearer token (a header, never in the URL)."""
        return BearerTokenAuthenticator(token=self.config["api_token"])


class LastPagePaginator(PageNumberPaginator):
    """Page numbers until ``current_page`` reaches ``last_page``.

    A page can yield no record once unchanged candidates are filtered out; the stream goes on
    after empty pages while the paginator has more.
    """

    def has_more(self, response: Answer) -> bool:  # type: ignore[override]
        """Whether a page follows this one."""
        payload = response.body
        return payload["current_page"] < payload["last_page"]


def parse_time(value: str) -> dt.datetime:
    """A bookmark or setting (checked at start) as a datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def changed_since(value: t.Any, since: dt.datetime) -> bool:
    """Whether a change time is at or after ``since``; an unreadable one counts as changed."""
    stamp = ts(value)
    if stamp is None or stamp.__class__ is not str:
        return True
    return parse_time(stamp) >= since
