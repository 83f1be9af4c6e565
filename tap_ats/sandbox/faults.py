"""Injected faults: which ones ``POST /_sandbox/faults`` takes, and how each request meets them.

:class:`FaultInjection` is the half of the :class:`~tap_ats.sandbox.server.Sandbox` that decides,
per API request, whether to answer with an error, a redirect or a dropped connection instead
(:meth:`FaultInjection._fault` documents every key), and what a list page's next cursor becomes
under the pagination faults. The faults that spoil records live in :mod:`.damage`.
"""

from __future__ import annotations

import base64
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tap_ats.sandbox.base import ProviderAPI, Request, Response

#: Every fault key, and the type its value must have (rates are numbers from 0 to 1).
FAULTS: dict[str, type | tuple[type, ...]] = {
    "429": (int, float), "5xx": (int, float), "drop": (int, float), "malformed": (int, float),
    "schema": (int, float), "latency_ms": (int, float), "retry_after": (int, float),
    "empty_pages": (int, float), "repeat_cursor": (int, float), "hang": (int, float),
    "bad_bytes": (int, float), "bad_records": (int, float), "redirect": str,
    "redirect_self": (int, float), "foreign_next": str, "5xx_account": str,
    "forbidden": list, "missing": list, "refuse_account": str, "error_code": dict,
    "disabled_models": list, "linked_account_status": str, "numeric_slugs": (int, float),
    "down": list, "down_drop": list, "down_for": (int, float),
}
#: Keys of the ``error_code`` fault and the types of their values (``code`` is required).
ERROR_CODE_KEYS: dict[str, type] = {"code": str, "status": int, "paths": list, "account": str,
                                    "times": int}
#: Fault keys whose value is an origin URL (checked as one).
URL_FAULTS = ("redirect", "foreign_next")


@dataclass
class Page:
    """A keyset page after the pagination faults: whether to serve it and what comes next."""

    empty: bool = False
    #: The opaque next cursor (None: last page).
    cursor: str | None = None
    #: The absolute next-page URL on a foreign origin (``foreign_next``), else None.
    foreign: str | None = None
    faults: list[str] = field(default_factory=list)


def encode_cursor(state: dict[str, Any]) -> str:
    """An opaque cursor: URL-safe base64 of compact JSON."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def rows_of(body: Any) -> list[dict]:
    """The records inside any provider's list body (for the ``schema`` fault)."""
    if isinstance(body, dict):
        body = body.get("data", body)
        body = body.get("results", []) if isinstance(body, dict) else body
    return body if isinstance(body, list) and body and isinstance(body[0], dict) else []


class FaultInjection:
    """The fault half of the sandbox: rolls, injected answers and the pagination faults."""

    #: Provided by :class:`~tap_ats.sandbox.server.Sandbox`, which sets them up and resets them
    #: (annotations only).
    faults: dict[str, Any]
    faults_set: float
    monotonic: Callable[[], float]
    stopping: threading.Event
    _rng: random.Random
    _rng_lock: threading.Lock
    _count_lock: threading.Lock

    def roll(self) -> float:
        """A random number for fault injection (thread-safe, seeded)."""
        with self._rng_lock:
            return self._rng.random()

    def chance(self, fault: str) -> bool:
        """Whether the fault with this rate strikes now (no roll when it is off)."""
        rate = self.faults.get(fault, 0)
        return rate > 0 and rate > self.roll()

    def _fault(self, request: Request, base_url: str, api: ProviderAPI) -> Response | None:
        """Wait the configured latency, then maybe answer with an injected fault.

        Every key of ``POST /_sandbox/faults``; a rate is a number from 0 to 1 (the chance per
        request), rolled from the seeded generator so runs repeat. The request log's ``status``
        names the fault (several joined by ``+``).

        - ``429``, ``5xx`` (503): with ``Retry-After: retry_after`` (seconds, default 1).
        - ``drop``: the connection is closed unanswered (status ``dropped``).
        - ``malformed``: the body is cut in half. ``schema``: a record loses its ``id``.
        - ``latency_ms``: every API request waits this long first.
        - ``hang`` (seconds): every API request is accepted, then waits this long before it is
          answered; a server shutdown ends the wait and closes the connection unanswered.
        - ``redirect`` (a URL): every API request is answered 302 with ``Location: <URL><path
          and query>``. ``redirect_self`` (rate): 307 to the same URL on the sandbox itself.
        - ``empty_pages`` (rate): a list page with no records whose next cursor (a fresh value)
          leads back to the position asked for; ATZ CRM serves a deterministic empty page
          number instead and shifts the rest by one, with ``last_page`` counting it.
        - ``repeat_cursor`` (rate): a list page (from page 2 on) whose next cursor is the
          request's own (Kombo, Merge, Greenhouse).
        - ``foreign_next`` (a URL): next-page links become ``<URL><path>?cursor=<cursor>``.
        - ``5xx_account`` (a Kombo integration id or a Merge account token): every request of
          that one account is answered 503, the other accounts are served as usual.
        - ``forbidden`` / ``missing`` (lists of paths): a request whose path ends with one of
          them is answered 403 / 404, as to a key without that endpoint's permission or an
          account without that model. ``"/applications?expand"`` refuses only requests that
          carry ``expand``. ``refuse_account`` (an integration id or account token) limits
          both to that one account, and the two Merge account faults as well:
        - ``disabled_models`` (Merge, list of list paths such as ``/offers``): 403 with Merge's
          ``detail``, as for a Common Model disabled in the linked account's scopes.
          ``linked_account_status`` (Merge, e.g. ``RELINK_NEEDED``): the status
          ``/account-details`` answers; the lists are still served, as Merge serves them.
        - ``error_code`` (``{"code", "status"?, "paths"?, "account"?, "times"?}``): requests
          whose path ends with one of ``paths`` (all, if left out), of ``account`` if given,
          are answered ``status`` (else the provider's status for the code) with the provider's
          error body carrying ``code`` (Kombo's ``error.code``), the first ``times`` of them
          only if given (then one that recovers), with ``Retry-After: retry_after``.
        - Every injected error's body is the provider's error format (:meth:`ProviderAPI.
          error_body`), as the API would word it.
        - ``down`` / ``down_drop`` (lists of paths, ``?param`` as for ``forbidden``): an outage
          of those endpoints, for every account: a request whose path ends with one of them is
          answered 503 (with ``Retry-After: retry_after``) / has its connection closed
          unanswered. ``down_for`` (seconds): the outage ends this long after the faults were
          set, timed by ``Sandbox.monotonic``; without it, it lasts until the faults change.
        - ``bad_bytes`` (rate): the first record of a list page gets a raw 0xFF byte in one text
          field and a lone surrogate escape (ud800) in another. ``bad_records`` (rate): it gets
          an integer for a string id and odd, unreadable and impossible date-times. Both are
          listed by ``GET /_sandbox/damaged``; see :class:`~.damage.Damage`.
        - ``numeric_slugs`` (rate): ATZ CRM names that share of its candidates (a seeded pick) by
          digits, served as a JSON number where ATZ documents a string.
        """
        f = self.faults
        if f.get("latency_ms"):
            self.stopping.wait(f["latency_ms"] / 1000)
        query = f"?{request.raw_query}" if request.raw_query else ""
        if f.get("redirect"):
            return Response(302, {"error": "moved (injected)"},
                            {"Location": f"{f['redirect']}{request.path}{query}"},
                            faults=["redirect"])
        if self.chance("redirect_self"):
            return Response(307, {"error": "moved (injected)"},
                            {"Location": f"{base_url}{request.path}{query}"},
                            faults=["redirect_self"])
        retry_after = str(int(f.get("retry_after", 1)))
        if (account := f.get("5xx_account")) and account in (
                request.headers.get("x-integration-id"), request.headers.get("x-account-token")):
            return Response(503, api.error_body(
                503, "service unavailable for this account (injected)"),
                {"Retry-After": retry_after})
        if down := self._down(request, api):
            return down
        if refused := self._refused(request, api):
            return refused
        if coded := self._coded(request, api):
            coded.headers["Retry-After"] = retry_after
            return coded
        if f.get("429", 0) > self.roll():
            return Response(429, api.error_body(429, "rate limited (injected)"),
                            {"Retry-After": retry_after})
        if f.get("5xx", 0) > self.roll():
            return Response(503, api.error_body(503, "service unavailable (injected)"),
                            {"Retry-After": retry_after})
        if f.get("drop", 0) > self.roll():
            return Response(drop=True)
        return None

    def _down(self, request: Request, api: ProviderAPI) -> Response | None:
        """The 503 or dropped connection of the ``down`` and ``down_drop`` faults, while on."""
        f = self.faults
        if "down_for" in f and self.monotonic() - self.faults_set >= f["down_for"]:
            return None
        for key in ("down", "down_drop"):
            for entry in f.get(key, []):
                path, _, param = entry.partition("?")
                if request.path.endswith(path) and (not param or param in request.query):
                    if key == "down_drop":
                        return Response(drop=True, faults=[key])
                    return Response(503, api.error_body(503, "endpoint down (injected)"),
                                    {"Retry-After": str(int(f.get("retry_after", 1)))},
                                    faults=[key])
        return None

    def _refused(self, request: Request, api: ProviderAPI) -> Response | None:
        """The 403 or 404 of the ``forbidden`` and ``missing`` faults, if this request meets one."""
        f = self.faults
        if (account := f.get("refuse_account")) and account not in (
                request.headers.get("x-integration-id"), request.headers.get("x-account-token")):
            return None
        for key, status in (("forbidden", 403), ("missing", 404)):
            for entry in f.get(key, []):
                path, _, param = entry.partition("?")
                if request.path.endswith(path) and (not param or param in request.query):
                    return Response(status, api.error_body(status, f"{key} (injected)"),
                                    faults=[key])
        return None

    def _coded(self, request: Request, api: ProviderAPI) -> Response | None:
        """The answer of the ``error_code`` fault, if this request meets it (and counts it)."""
        f = self.faults.get("error_code")
        if not f or ("account" in f and f["account"] not in (
                request.headers.get("x-integration-id"), request.headers.get("x-account-token"))):
            return None
        if "paths" in f and not any(request.path.endswith(p) for p in f["paths"]):
            return None
        with self._count_lock:
            if "times" in f:
                if f["times"] <= 0:
                    return None
                f["times"] -= 1
        status = f.get("status") or api.error_status(f["code"])
        return Response(status, api.error_body(status, f"{f['code']} (injected)", f["code"]),
                        faults=["error_code"])

    def paginate(self, request: Request, here: dict[str, Any],
                 after: dict[str, Any] | None, cursor_param: str = "cursor") -> Page:
        """The next cursor of a keyset list page, after the pagination faults.

        ``here`` is the cursor state of the position this request asked for (page 1 too),
        ``after`` the state of the page that follows (None: this is the last page);
        ``cursor_param`` the query parameter the request's own cursor is in (Lever's
        ``offset``).
        """
        page = Page(cursor=None if after is None else encode_cursor(after))
        own = request.arg(cursor_param)
        if self.chance("empty_pages"):
            fresh = {**here, "empty": here.get("empty", 0) + 1}
            page = Page(empty=True, cursor=encode_cursor(fresh), faults=["empty"])
        elif own and self.chance("repeat_cursor"):
            page = Page(cursor=own, faults=["repeat"])
        if page.cursor and (origin := self.faults.get("foreign_next")):
            page.foreign = f"{origin}{request.path}?cursor={page.cursor}"
            page.faults.append("foreign_next")
        return page


def check_faults(body: dict[str, Any]) -> str | None:
    """Why a ``POST /_sandbox/faults`` body is refused, or None when it is fine."""
    for key, value in body.items():
        if key not in FAULTS:
            return f"unknown fault {key!r}; known: {', '.join(FAULTS)}"
        if isinstance(value, bool) or not isinstance(value, FAULTS[key]):
            kind = ("a URL string" if key in URL_FAULTS else "a string" if FAULTS[key] is str
                    else "a list of paths" if FAULTS[key] is list
                    else "an object" if FAULTS[key] is dict else "a number")
            return f"fault {key!r} must be {kind}"
        if FAULTS[key] is list and not all(isinstance(v, str) and v.startswith("/")
                                           for v in value):
            return f"fault {key!r} must be a list of paths, each starting with /"
        if FAULTS[key] is dict and (problem := _check_error_code(value)):
            return problem
        if key in URL_FAULTS:
            split = urlsplit(value)
            if (split.scheme not in ("http", "https") or not split.netloc or split.path
                    or split.query or split.fragment):
                return f"fault {key!r} must be an origin like http://127.0.0.1:8000 (no path)"
    return None


def _check_error_code(value: dict[str, Any]) -> str | None:
    """Why an ``error_code`` fault is refused, or None when it is fine."""
    if not isinstance(value.get("code"), str):
        return "fault 'error_code' needs a \"code\" string"
    for key, item in value.items():
        kind = ERROR_CODE_KEYS.get(key)
        if kind is None:
            return f"fault 'error_code' has no key {key!r}; known: {', '.join(ERROR_CODE_KEYS)}"
        if isinstance(item, bool) or not isinstance(item, kind):
            return f"fault 'error_code': {key!r} must be of type {kind.__name__}"
    if not all(isinstance(p, str) and p.startswith("/") for p in value.get("paths", [])):
        return "fault 'error_code': 'paths' must be paths, each starting with /"
    return None

