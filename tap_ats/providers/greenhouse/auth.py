"""The Harvest v3 OAuth token: one client-credentials grant per run, shared by every stream.

Apart from the provider because it is the one part that talks to another host (``token_url``,
not ``api_url``) and handles the secrets. The grant still goes through the tap's
:class:`~tap_ats.http.Transport`, so it is pinned to ``token_url``'s host and retried like any
other request.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import typing as t
from dataclasses import dataclass

import requests
from singer_sdk.exceptions import FatalAPIError, FatalSyncError, RetriableAPIError

from tap_ats.conform import utc_now
from tap_ats.http import Pacer, Transport, origin

DEFAULT_TOKEN_URL = "https://auth.greenhouse.io/token"  # noqa: S105
#: Refresh a token this long before it expires (half its life if that is shorter).
REFRESH_MARGIN = 60.0
#: A token without a readable ``expires_at`` is assumed to live this long (Greenhouse: 1 h).
DEFAULT_TOKEN_TTL = 3600.0


class CredentialsRefused(FatalSyncError):
    """The token endpoint refused the client: every request of the run would fail."""


@dataclass
class Token:
    """An access token, when to replace it, and whether it replaced a refused one."""

    value: str
    refresh_at: float
    after_refusal: bool = False


class GreenhouseAuthenticator:
    """The run's access token, held by the provider: fetched on first need, refreshed when due.

    One lock guards it, so every stream and thread shares one token; a 401 drops it once (the
    next request fetches a new one), a second 401 in a row is left to fail.
    """

    def __init__(self, config: t.Mapping[str, t.Any],
                 error_detail: t.Callable[[requests.Response], str]) -> None:
        self.config = config
        #: The provider's wording of an error answer (a refused grant names it).
        self.error_detail = error_detail
        self._token: Token | None = None
        self._refused = False
        self._token_lock = threading.Lock()
        self._token_pacer = Pacer(None)

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint."""
        return self.config.get("token_url") or DEFAULT_TOKEN_URL

    def token(self, transport: Transport) -> str:
        """A valid access token, fetched when there is none or it is about to expire."""
        with self._token_lock:
            if self._token is None or time.monotonic() >= self._token.refresh_at:
                self._token = self._fetch_token(transport)
            return self._token.value

    def token_refused(self, sent: str) -> bool:
        """Note a 401 for token ``sent``; False if that token already replaced a refused one."""
        with self._token_lock:
            if self._token is None or self._token.value != sent:
                return True
            if self._token.after_refusal:
                return False
            self._token, self._refused = None, True
            return True

    def token_accepted(self, sent: str) -> None:
        """A success with ``sent``: a later 401 may be answered by a new token again."""
        current = self._token
        if current is not None and current.after_refusal and current.value == sent:
            current.after_refusal = False

    def _fetch_token(self, transport: Transport) -> Token:
        """One client-credentials grant, sent only to ``token_url``'s own host.

        The secrets travel only in the Basic header and the form, and through the transport, so
        a redirect of the token request elsewhere is refused like any other.
        """
        request = requests.Request(
            "POST", self.token_url, auth=(self.config["client_id"], self.config["client_secret"]),
            data={"grant_type": "client_credentials", "sub": str(self.config["user_id"])},
        ).prepare()
        answer = transport.send(request, pacer=self._token_pacer, check=self._check_token,
                                allowed=origin(self.token_url))
        payload = answer.body
        if not isinstance(payload, dict) or not payload.get("access_token"):
            msg = "greenhouse token endpoint answered without an access_token"
            raise RetriableAPIError(msg, answer.response)
        ttl = DEFAULT_TOKEN_TTL
        if expires_at := payload.get("expires_at"):
            try:
                expiry = dt.datetime.fromisoformat(str(expires_at).replace("Z", "+00:00"))
                ttl = (expiry - utc_now()).total_seconds()
            except (TypeError, ValueError):
                ttl = float(payload.get("expires_in") or DEFAULT_TOKEN_TTL)
        elif payload.get("expires_in"):
            ttl = float(payload["expires_in"])
        refused, self._refused = self._refused, False
        margin = min(REFRESH_MARGIN, ttl / 2)
        return Token(payload["access_token"], time.monotonic() + ttl - margin, refused)

    def _check_token(self, response: requests.Response) -> None:
        """Retry the token endpoint's 429 and 5xx; a refusal names the settings to check."""
        status = response.status_code
        if status == 429 or status >= 500:
            msg = f"greenhouse token endpoint answered {status} {response.reason}"
            raise RetriableAPIError(msg, response)
        if status in (400, 401, 403):
            msg = (f"greenhouse token endpoint refused the credentials "
                   f"({self.error_detail(response)}): check settings 'client_id', "
                   "'client_secret' and 'user_id' (a Harvest v3 OAuth client and a Site Admin "
                   "user id)")
            raise CredentialsRefused(msg)
        if status != 200:
            msg = (f"greenhouse token endpoint answered {status} {response.reason}: "
                   f"{self.error_detail(response)}")
            raise FatalAPIError(msg)
