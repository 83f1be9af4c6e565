"""The transport: every request tap-ats sends passes through :meth:`Transport.send`.

The rules that keep credentials and runs safe live here and nowhere else, so that no provider
module can bypass them:

- **Host pinning.** A request goes only to the origin (scheme, host, port) it was meant for: the
  configured ``api_url`` (the Greenhouse token request: ``token_url``). A next-page link, a cursor
  or a redirect that points anywhere else is refused before a byte is sent: the credentials ride
  in headers, and a foreign host must never see them.
- **TLS.** Both URLs must be ``https://``; plain ``http://`` is allowed only for loopback hosts
  (the sandbox). Certificate verification is always on; ``ca_bundle`` adds a private CA.
- **Redirects.** requests would follow any redirect and resend custom credential headers
  (``X-Account-Token``) to wherever it points, so redirects are handled here: at most
  ``MAX_REDIRECTS`` on the same origin, of a GET, or of a POST (Ashby) by a 307 or 308, which
  keep method and body (a longer chain fails the attempt, which is retried); a redirect to
  another origin, or one that would change a POST into a GET, ends the request.
- **Bounded time.** A connect and a read timeout on every attempt, and a retry budget per request
  (:mod:`tap_ats.retry`): an incident of a few minutes on one endpoint is outlasted, one request
  gives up after at most ``retry_budget + CONNECT_TIMEOUT + request_timeout`` seconds, a wrong
  host after ``FIRST_CONTACT_TRIES`` attempts (:class:`Unreachable`), and an API that accepts
  connections and never answers after ``HUNG_TRIES`` attempts in a row; then the whole run stops
  (:class:`Hung`), so that a hung API costs that once, not once per account. A request that gives
  up otherwise raises :class:`GiveUp`: its stream fails, the account's other streams go on.
- **Probes.** After a stream of an account gave up, the next request of that account is a probe
  (``probe=True``): a 5xx or a failed connection ends it at once (:class:`ProbeFailed`), so that
  an API that is down costs one budget per account, not one per stream.
- **Pacing.** Each attempt waits for its account's :class:`Pacer`; a 429 pushes the pacer back.
- **Decoding.** Bodies are decoded once (:mod:`tap_ats.decode`), inside the retry loop (a
  truncated body is retried), and handed on as an :class:`Answer`; invalid UTF-8 and lone
  surrogates become U+FFFD and are counted instead of ending the run.
- **Proxies.** ``HTTPS_PROXY``, ``HTTP_PROXY`` and ``NO_PROXY`` are honoured as requests reads
  them, except that loopback hosts are never proxied.
- **Redaction.** Messages name method, path and status, never a query, header or URL userinfo.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
import typing as t
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError, FatalSyncError, RetriableAPIError

from tap_ats.decode import decode
from tap_ats.retry import DEFAULT_RETRY_BUDGET, Retries, never_connected, retry_after

if t.TYPE_CHECKING:
    import logging

CONNECT_TIMEOUT = 10.0
DEFAULT_REQUEST_TIMEOUT = 60.0
MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def redact(text: str) -> str:
    """``text`` with the userinfo of every URL in it replaced by ``***``."""
    return _USERINFO.sub("***@", text)


def path(*segments: t.Any) -> str:
    """A URL path of ``segments``, each percent-encoded as exactly one segment.

    Values from the data (slugs, ids) may hold ``/``, ``?``, ``#``, ``%`` or be ``..``; encoded
    this way none of them can change which resource is asked for. A segment of dots alone is
    encoded too, since servers and URL libraries resolve ``.`` and ``..``.
    """
    out = []
    for segment in segments:
        encoded = quote(str(segment), safe="")
        out.append(encoded.replace(".", "%2E") if encoded.strip(".") == "" else encoded)
    return "/" + "/".join(out)


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the port made explicit."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port}"


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this machine: 127.0.0.0/8, ::1 or localhost."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(setting: str, url: str) -> str | None:
    """Why ``url`` may not be the value of ``setting``, or None if it may.

    https is required, except for loopback hosts; a user or password in the URL is refused (it
    would be sent as Basic credentials and shown wherever the URL is).
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return f"setting '{setting}' is not a valid URL: {redact(url)!r}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"setting '{setting}' must be an https:// URL, got {redact(url)!r}"
    if parts.username is not None or parts.password is not None:
        return (f"setting '{setting}' must not carry a user or password ({redact(url)!r}): "
                "credentials go in their own settings")
    if parts.scheme != "https" and not is_loopback(parts.hostname):
        return (f"setting '{setting}' must use https:// (plain http is allowed only for "
                f"loopback hosts), got {redact(url)!r}")
    return None


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful response with its body decoded: what every reader of a page is handed.

    Decoded once, inside the retry loop (a truncated body is retried); ``repaired`` counts the
    characters replaced by U+FFFD on the way, for the run's warning.
    """

    response: requests.Response
    body: t.Any
    repaired: int = 0


class Pacer:
    """Spaces requests so that no more than ``per_minute`` start in any minute.

    Thread-safe: concurrent workers of one account share one pacer, so the account's budget is
    respected whatever the concurrency. A 2% margin keeps a fixed-window server from ever seeing
    one request too many when our clock and its window boundaries disagree.
    """

    def __init__(self, per_minute: float | None) -> None:
        self.interval = 60.0 / per_minute * 1.02 if per_minute else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller may send its request."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """Push every later request back by ``seconds`` (after a 429)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)

    def observe(self, response: requests.Response) -> None:
        """Learn from an answer (providers with rate-limit headers override this)."""


class AuthError(FatalAPIError):
    """A 401: a credential is wrong, revoked or expired."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Refused(FatalAPIError):
    """A 403 or 404: this credential or account may not read ``path``, or the API lacks it.

    On a stream's own list path it means the stream cannot be read (the stream is skipped, the
    account goes on); on a lookup that only enriches a stream, the columns it fills stay null.
    """

    def __init__(self, message: str, status: int, path: str) -> None:
        super().__init__(message)
        self.status, self.path = status, path


class RetryAs(RetriableAPIError):
    """An answer whose own error code says how to retry it, whatever its HTTP status.

    ``status`` 429: a rate limit (waited out, the account's pacer pushed back); 5xx: an outage.
    """

    def __init__(self, message: str, response: requests.Response, status: int) -> None:
        super().__init__(message, response)
        self.status = status


class AccountUnreadable(FatalAPIError):
    """The account itself cannot be read: given up for the rest of the run, bookmarks kept.

    For example an integration that is inactive, unknown, or whose connection to its ATS broke.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class AccountNotReady(AccountUnreadable):
    """The account cannot be read yet: skipped for this run, bookmarks kept, the run not failed.

    For example an integration whose first sync at the provider is still running.
    """


class ForeignHostError(FatalSyncError):
    """A link, cursor or redirect pointed at another host: nothing was sent there."""


class Unreachable(FatalSyncError):
    """No connection to the API could be made at all."""


class GiveUp(FatalAPIError):
    """A request still failed when its retries ran out: its stream fails, the account goes on.

    ``outage``: its last attempt met a 5xx or no connection (the API, or this endpoint of it,
    is down, rather than answering something the tap cannot use).
    """

    def __init__(self, message: str, *, outage: bool) -> None:
        super().__init__(message)
        self.outage = outage


class ProbeFailed(FatalAPIError):
    """A probe met a 5xx or no connection: the API is taken to be down for that account.

    Not a :class:`GiveUp`, so that no handler of a lookup's give-up takes it for one.
    """


class Hung(FatalSyncError):
    """A request's latest attempts all timed out: the API accepts connections and never answers.

    The run stops rather than give each account (and each stream) the same wait in turn, which
    would multiply the time a hung API costs by the number of accounts.
    """


class Transport:
    """Sends requests by the rules above; one per run, shared by every stream and thread."""

    def __init__(self, provider: str, api_url: str, *, request_timeout: float,
                 logger: logging.Logger, ca_bundle: str | None = None,
                 retry_budget: float = DEFAULT_RETRY_BUDGET) -> None:
        self.provider = provider
        self.api_origin = origin(api_url)
        self.timeout = (CONNECT_TIMEOUT, request_timeout)
        self.retry_budget = retry_budget
        #: Whether any request of this run has reached its host (a wrong host fails sooner).
        self.reached = False
        self.verify: str | bool = ca_bundle or True
        self.logger = logger
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        """One keep-alive session per thread (accounts and history calls run in workers)."""
        if (session := getattr(self._local, "session", None)) is None:
            session = self._local.session = requests.Session()
        return session

    def pin(self, url: str, allowed: str) -> None:
        """Refuse ``url`` unless it is on the ``allowed`` origin."""
        if origin(url) != allowed:
            msg = (f"{self.provider}: refused to send a request to another host, "
                   f"{origin(redact(url))} (the configured API is {allowed}); a next-page "
                   "link, cursor or redirect pointed there, and it would have carried the "
                   "credentials")
            raise ForeignHostError(msg)

    def send(self, request: requests.PreparedRequest, *, pacer: Pacer,
             check: t.Callable[[requests.Response], None],
             prepare: t.Callable[[requests.PreparedRequest], None] | None = None,
             allowed: str | None = None, probe: bool = False) -> Answer:
        """Send ``request`` by the rules, retrying what may succeed later; the decoded answer.

        ``prepare`` runs before each attempt (e.g. to attach a fresh token), ``check`` raises
        :class:`RetriableAPIError` or :class:`FatalAPIError` for an answer that is not a success.
        ``probe``: a 5xx or a failed connection gives up at once, without a retry.
        """
        allowed = allowed or self.api_origin
        self.pin(request.url or "", allowed)
        where = self._where(request)
        retries = Retries(self.retry_budget, probe)
        while True:
            if prepare is not None:
                prepare(request)
            pacer.wait()
            asked: float | None = None
            try:
                response = self._follow(request, allowed)
                self.reached = True
                pacer.observe(response)
                check(response)
                try:
                    value, repaired = decode(response.content)
                except RetriableAPIError as exc:
                    raise RetriableAPIError(str(exc), response) from exc.__cause__
                return Answer(response, value, repaired)
            except RetriableAPIError as exc:
                response = exc.response
                failed = response is not None and response.status_code >= 400
                asked = retry_after(response)
                status = exc.status if isinstance(exc, RetryAs) else (
                    response.status_code if failed else 0)
                limited, outage = status == 429, status >= 500
                retries.failed(f"{response.status_code} {response.reason}" if failed else str(exc),
                               outage=outage, unusable=not (limited or outage),
                               connected=response is not None)
                if limited:
                    pacer.pause(asked if asked is not None else 1.0)
            except requests.exceptions.ReadTimeout:
                retries.failed(f"no answer within request_timeout ({self.timeout[1]:g} s)",
                               timeout=True)
            except requests.RequestException as exc:
                retries.failed(type(exc).__name__, outage=True, connected=not never_connected(exc))
            wait = retries.wait(asked, host_reached=self.reached)
            if wait is None:
                raise self._given_up(where, allowed, retries)
            if retries.attempts & (retries.attempts - 1) == 0:  # 1, 2, 4, 8, ...: one per doubling
                self.logger.warning(
                    "Retrying %s after %s (attempt %d, %.0f of %g s of retry_budget spent; "
                    "waiting %.1f s)", where, retries.reason, retries.attempts, retries.elapsed,
                    self.retry_budget, wait)
            time.sleep(wait)

    def _given_up(self, where: str, allowed: str, retries: Retries) -> Exception:
        """What a request that ran out of retries means: for the run, or for its stream."""
        n = retries.attempts
        tries = f"{n} attempt{'s' if n > 1 else ''} over {retries.elapsed:.0f} s"
        reason = retries.reason
        if not retries.connected and not retries.probe:
            msg = (f"{self.provider} API at {allowed} unreachable: no connection could be made "
                   f"in {tries} ({reason}); check setting 'api_url'")
            return Unreachable(msg)
        if retries.hung:
            msg = (f"{self.provider} API at {allowed} is not answering: {where} got {reason} in "
                   f"{tries}; stopping the run")
            return Hung(msg)
        if retries.probe and retries.outage:
            return ProbeFailed(f"{where} failed at once with {reason}")
        return GiveUp(f"gave up on {where} after {tries}: last {reason}", outage=retries.outage)

    def _follow(self, request: requests.PreparedRequest, allowed: str) -> requests.Response:
        """One attempt: the request and at most ``MAX_REDIRECTS`` same-origin redirects."""
        current = request
        for _ in range(MAX_REDIRECTS + 1):
            response = self.session.send(current, timeout=self.timeout, verify=self.verify,
                                         allow_redirects=False, **self._proxies(current.url))
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                return response
            target = urljoin(current.url or "", location)
            self.pin(target, allowed)
            if current.method != "GET" and response.status_code not in (307, 308):
                msg = (f"{self.provider} answered {current.method} "
                       f"{urlsplit(current.url).path} with a {response.status_code} redirect; "
                       "only a GET, or a 307 or 308 (which keep method and body), is redirected")
                raise FatalAPIError(msg)
            current = current.copy()
            current.url = target
        msg = f"redirected more than {MAX_REDIRECTS} times on its own host"
        raise RetriableAPIError(msg)

    @staticmethod
    def _proxies(url: str | None) -> dict[str, dict]:
        """No proxy for this machine; elsewhere the environment's, as requests reads it.

        requests sends even ``127.0.0.1`` through ``HTTP_PROXY`` unless ``NO_PROXY`` names it;
        loopback traffic (the sandbox, a local tunnel) never leaves the machine. Through a proxy
        an https request is a ``CONNECT`` tunnel: the proxy sees the host and port, never a
        header, so the credentials stay between the tap and the API.
        """
        return {"proxies": {}} if is_loopback(urlsplit(url or "").hostname) else {}

    @staticmethod
    def _where(request: requests.PreparedRequest) -> str:
        """Method and path: never the query, which may carry cursors or filters."""
        return f"{request.method} {urlsplit(request.url or '').path}"

