"""When a failed attempt of one request is tried again, and after how long: the retry budget.

A request that meets a 429, a 5xx, a dropped connection or a timeout keeps retrying for
``retry_budget`` seconds (default ``DEFAULT_RETRY_BUDGET``), so that an incident of a few
minutes on one endpoint is outlasted rather than failing the stream. Between two attempts it
waits the ``Retry-After`` the API sent (at most ``MAX_RETRY_AFTER``; it gives up instead when that
would pass the budget) or a full-jitter backoff (``BACKOFF_BASE`` doubling, capped at
``BACKOFF_CAP``, the last wait cut short to end at the budget, where one last attempt is made).
So one request gives up after at most ``retry_budget + CONNECT_TIMEOUT + request_timeout``
seconds (:mod:`tap_ats.http`: the connect and read timeouts of its last attempt), plus what
comes before that attempt: the wait for its account's pacer, and for Greenhouse a token request
when one is due (a request of its own, with its own budget).

Narrower limits end a request sooner, where waiting longer would not help:

- an answer that arrives but cannot be used (a body cut short, a redirect loop, a refused token
  renewed) is tried at most ``MAX_UNUSABLE`` times;
- a host that no request of the run has reached yet is tried at most ``FIRST_CONTACT_TRIES``
  times: a wrong ``api_url`` costs seconds, not the budget;
- ``HUNG_TRIES`` attempts in a row without an answer within ``request_timeout`` mean the API hangs;
- a probe (the first request of an account after one of its streams gave up) gives up at its
  first 5xx or failed connection, so that an API that is down costs one budget per account, not
  one per stream.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass, field

import requests

#: Seconds a request keeps retrying by default, and the bounds of the ``retry_budget`` setting.
DEFAULT_RETRY_BUDGET = 180
RETRY_BUDGET_BOUNDS = (1, 3600)
#: Attempts of a request whose answers cannot be used (a body cut short, a redirect loop).
MAX_UNUSABLE = 8
#: Attempts of a request to a host that no request of this run has reached yet.
FIRST_CONTACT_TRIES = 8
#: Attempts in a row without an answer within ``request_timeout`` before the API is hung.
HUNG_TRIES = 3
MAX_RETRY_AFTER = 60.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0


def retry_after(response: requests.Response | None) -> float | None:
    """Seconds the provider asked us to wait (``Retry-After`` as seconds or HTTP date)."""
    if response is None or not (value := response.headers.get("Retry-After")):
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)


def never_connected(exc: BaseException) -> bool:
    """Whether ``exc`` means no connection was made (as opposed to one dropped or timed out)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    seen: BaseException | None = exc
    while seen is not None:
        reason = getattr(seen, "reason", None)
        if type(seen).__name__ in ("NewConnectionError", "NameResolutionError") or type(
                reason).__name__ in ("NewConnectionError", "NameResolutionError"):
            return True
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = nested or seen.__cause__ or seen.__context__
    return False


@dataclass
class Retries:
    """The failed attempts of one request so far, and what to do after the latest one."""

    budget: float
    probe: bool = False
    started: float = field(init=False)
    attempts: int = 0
    #: Whether any attempt reached the host (an answer, a timeout or a connection dropped).
    connected: bool = False
    #: Whether the latest failure was a 5xx or no connection: the API or endpoint is down.
    outage: bool = False
    reason: str = "no attempt"
    timeouts: int = 0  # in a row
    unusable: int = 0

    def __post_init__(self) -> None:
        self.started = time.monotonic()

    def failed(self, reason: str, *, outage: bool = False, unusable: bool = False,
               timeout: bool = False, connected: bool = True) -> None:
        """Count one failed attempt and why it failed."""
        self.attempts += 1
        self.reason, self.outage = reason, outage
        self.connected = self.connected or connected
        self.unusable += unusable
        self.timeouts = self.timeouts + 1 if timeout else 0

    def wait(self, asked: float | None, *, host_reached: bool) -> float | None:
        """Seconds to wait before the next attempt (``asked``: ``Retry-After``), or None: stop."""
        now = time.monotonic()
        deadline = self.started + self.budget
        if asked is None:
            backoff = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (self.attempts - 1))
            asked = min(random.uniform(0, backoff), max(0.0, deadline - now))
        stop = (now + asked > deadline or now >= deadline or self.unusable >= MAX_UNUSABLE
                or self.timeouts >= HUNG_TRIES or (self.probe and self.outage)
                or (not host_reached and self.attempts >= FIRST_CONTACT_TRIES))
        return None if stop else asked

    @property
    def hung(self) -> bool:
        """Whether the latest attempts (``HUNG_TRIES``, or every one) all went unanswered."""
        return self.timeouts >= min(HUNG_TRIES, self.attempts)

    @property
    def elapsed(self) -> float:
        """Seconds since the first attempt."""
        return time.monotonic() - self.started
