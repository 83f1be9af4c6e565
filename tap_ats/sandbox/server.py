"""The sandbox HTTP server: routing, control interface, faults and rate limits.

Provider wire formats live in one module each (``kombo.py``, ...); this module only knows the
parts every provider shares: the ``/_sandbox/*`` control interface, injected faults, fixed-window
rate limits, and a threaded HTTP/1.1 server bound to 127.0.0.1.

Control interface (JSON in, JSON out):

- ``GET /_sandbox/config/{provider}``: a tap-ats config for this sandbox.
- ``GET /_sandbox/truth/{provider}``: what a full sync must emit now.
- ``POST /_sandbox/advance`` ``{"changes": K, "provider"?: p}``: K changes, stamped now.
- ``POST /_sandbox/faults`` ``{key: value, ...}``: replace the injected faults (``{}``: none);
  the keys are listed in ``FAULTS`` and documented in ``Sandbox._fault``. An unknown key or a
  value of the wrong type is refused with 400.
- ``GET /_sandbox/requests``: counts per provider and a log of every API request (path, query,
  a JSON body, routing headers, ``status``: the HTTP status, or the name of the fault injected).
- ``GET /_sandbox/damaged``: every field the ``bad_bytes`` and ``bad_records`` faults spoiled.
- ``POST /_sandbox/reset`` ``{"odd_slugs"?: bool}``: a fresh world, faults off; ``odd_slugs``
  (kept until the next reset that names it) gives ATZ CRM candidates and jobs slugs with ``/``,
  ``..``, ``?``, ``#``, ``%``, spaces and non-ASCII.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import socket
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from tap_ats.sandbox.world import Table, World, now

SCALES = {"small": 200, "medium": 5_000, "large": 100_000}


@dataclass
class Request:
    """An incoming API request, already split into its parts."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    raw_query: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The single value of a query parameter."""
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class Response:
    """What the sandbox answers; ``drop`` closes the connection without answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    malformed: bool = False
    #: Names of the faults injected into this answer, for the request log.
    faults: list[str] = field(default_factory=list)

    def encode(self) -> bytes:
        """The body as bytes (JSON unless already bytes); ``BAD_BYTE`` becomes a raw 0xFF."""
        if isinstance(self.body, bytes):
            return self.body
        payload = json.dumps(self.body, separators=(",", ":")).encode()
        if "bad_bytes" in self.faults:
            payload = payload.replace(BAD_BYTE_JSON, b"\xff")
        return payload


#: A private-use character that ``Response.encode`` turns into one invalid UTF-8 byte (0xFF):
#: JSON cannot carry such a byte, so the record holds this stand-in until it is encoded.
BAD_BYTE = "\ue000"
BAD_BYTE_JSON = b"\\ue000"
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
#: Values the ``bad_records`` fault serves in date-time fields besides one odd readable shape.
UNREADABLE_TIMES = ("yesterday", "2024-13-45T99:00:00Z")


@dataclass(frozen=True)
class Damage:
    """Where the ``bad_bytes`` and ``bad_records`` faults may spoil one list resource's records.

    Paths are dotted (``candidate.first_name``, ``stages.0.name``). None of them is the record's
    id or the time the tap keys or bookmarks on, so a spoiled record is still the same row.
    """

    stream: str
    #: Human-text fields: the first two non-empty strings get 0xFF and a lone surrogate escape.
    text: tuple[str, ...] = ()
    #: A string field (an id where the resource has one) served as an integer instead.
    ref: str | None = None
    #: Date-time fields: one odd readable shape, "yesterday", an impossible date, in rotation.
    times: tuple[str, ...] = ()


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


def _slot(record: Any, path: str) -> tuple[Any, Any] | None:
    """The container and key a dotted path ends in, or None when the path is not there."""
    *parents, last = path.split(".")
    node = record
    try:
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.get(part)
        key: Any = int(last) if isinstance(node, list) else last
        node[key]
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None
    return node, key


def _odd_time(value: Any, n: int) -> tuple[str, str]:
    """A readable but unusual shape of ``value`` (rotating over four) and its UTC instant."""
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError:
        t = dt.datetime(2024, 3, 5, 10, tzinfo=dt.UTC)
    t = t.replace(microsecond=0)
    shapes = [
        (t.strftime("%Y-%m-%d"), t.replace(hour=0, minute=0, second=0)),
        (t.strftime("%Y-%m-%d %H:%M:%S"), t),
        ((t + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00"), t),
        (t.strftime("%Y-%m-%dT%H:%M:%S"), t),
    ]
    served, instant = shapes[n % len(shapes)]
    return served, instant.isoformat()


class FixedWindow:
    """A fixed-window request limit per key, as Greenhouse, ATZ and Merge enforce it."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> tuple[bool, int, float]:
        """Count one request; return (allowed, remaining, window reset epoch)."""
        with self._lock:
            t = time.time()
            start, used = self._windows.get(key, (0.0, 0))
            if t >= start + self.window:
                start, used = t - (t % self.window), 0
            allowed = used < self.limit
            if allowed:
                used += 1
            self._windows[key] = (start, used)
            return allowed, self.limit - used, start + self.window


class ProviderAPI:
    """Base of a provider's wire format: its accounts, worlds, config and truth."""

    name: ClassVar[str]
    accounts: ClassVar[list[str]]

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._worlds: dict[str, World] = {}
        self._lock = threading.Lock()

    def world(self, account: str) -> World:
        """The world behind one account, generated on first use."""
        with self._lock:
            if account not in self._worlds:
                seed = zlib.crc32(f"{self.sandbox.seed}:{self.name}:{account}".encode())
                size = max(1, self.sandbox.applications // len(self.accounts))
                self._worlds[account] = World(seed, size, self.sandbox.anchor)
            return self._worlds[account]

    def advance(self, changes: int) -> dict[str, int]:
        """Spread ``changes`` over the accounts and apply them."""
        total: dict[str, int] = {}
        for i, account in enumerate(self.accounts):
            share = changes // len(self.accounts) + (i < changes % len(self.accounts))
            for kind, n in self.world(account).advance(share).items():
                total[kind] = total.get(kind, 0) + n
        return total

    def config(self, base_url: str) -> dict[str, Any]:
        """A tap-ats config that works against this sandbox as is."""
        raise NotImplementedError

    def truth(self) -> dict[str, Any]:
        """Per stream: the count and primary keys a full sync must emit now."""
        raise NotImplementedError

    def fields(self) -> dict[str, list[list[Any]]]:
        """Per stream: [account, id, {column: value}] for the columns a test checks row by row."""
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        """Answer one API request in this provider's wire format."""
        raise NotImplementedError

    def error_body(self, status: int, message: str, code: str | None = None) -> Any:
        """The body of an injected error, in this provider's error format.

        ``code`` is the ``error_code`` fault's; without one the provider picks the code it
        answers ``status`` with, if it has codes at all.
        """
        return {"error": code or message}

    def error_status(self, code: str) -> int:
        """The HTTP status this provider answers ``code`` with, when the fault names none."""
        return 400


def iso(t: dt.datetime | None) -> str | None:
    """RFC 3339 UTC with milliseconds, the way Kombo, Merge and Greenhouse print times."""
    if t is None:
        return None
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def keyset_page(table: Table, after: int | None, size: int, keep: Callable[[Any], bool], *,
                descending: bool = False) -> tuple[list[Any], int | None]:
    """Up to ``size`` records past id ``after`` that ``keep`` accepts, and the next cursor id.

    The cursor is None when no further record matches, so the last page says so itself and no
    empty page is ever served.
    """
    out: list[Any] = []
    if descending:
        idx = range(table.index_before(after) - 1, -1, -1)
    else:
        idx = range(table.index_after(after), len(table))
    it = iter(idx)
    for i in it:
        record = table[i]
        if keep(record):
            if len(out) == size:
                return out, out[-1].id
            out.append(record)
    return out, None


def _records(body: Any) -> list[dict]:
    """The records inside any provider's list body (for the ``schema`` fault)."""
    if isinstance(body, dict):
        body = body.get("data", body)
        body = body.get("results", []) if isinstance(body, dict) else body
    return body if isinstance(body, list) and body and isinstance(body[0], dict) else []


class ServedVersions:
    """Application versions served, per account: the sightings observed stages must hold.

    Kombo and Merge expose only the current stage, so the tap's ``application_stages`` rows are
    the versions it was served; their truth is therefore kept here, as they are served.
    """

    def __init__(self, accounts: list[str]) -> None:
        self._served: dict[str, set[tuple[str, str, str, bool]]] = {a: set() for a in accounts}
        self._lock = threading.Lock()

    def add(self, account: str, versions: Iterable[tuple[str, str, str, bool]]) -> None:
        """Remember (application id, stage id, change time, deleted) for each record served."""
        with self._lock:
            self._served[account].update(versions)

    def truth(self, account: str) -> tuple[list[tuple[str, str, bool]], list[dict[str, Any]]]:
        """The observed rows' keys (as the tap builds them) and the visits they fold into."""
        with self._lock:
            served = sorted(self._served[account], key=lambda o: (o[0], o[2]))
        visits: list[dict[str, Any]] = []
        for app, stage, at, _deleted in served:
            prev = visits[-1] if visits and visits[-1]["application_id"] == app else None
            if prev is not None and prev["stage_id"] == stage:
                continue
            if prev is not None:
                prev["exited_at"] = at
            visits.append({"account_id": account, "application_id": app, "stage_id": stage,
                           "entered_at": at, "exited_at": None})
        return [(account, f"{a}:{s}:{t}", d) for a, s, t, d in served], visits


def truth_entry(rows: list[tuple[str, str, bool]]) -> dict[str, Any]:
    """Truth for one stream from (account_id, id, deleted) triples."""
    return {
        "count": len(rows),
        "ids": sorted([a, i] for a, i, _ in rows),
        "deleted_ids": sorted([a, i] for a, i, d in rows if d),
    }


def hires_entry(hires: Iterable[tuple[str, str]]) -> list[list]:
    """Truth for hires per job, ``[account_id, job_id, hires]``, from one pair per hire."""
    return sorted([a, j, n] for (a, j), n in Counter(hires).items())


class Sandbox:
    """All provider APIs over one seed and size, with faults and optional rate limits."""

    def __init__(self, seed: int = 42, applications: int = SCALES["small"], *,
                 rate_limits: bool = False, time_scale: float = 1.0,
                 odd_slugs: bool = False, accounts: int | None = None,
                 anchor: dt.datetime | None = None) -> None:
        from tap_ats.sandbox import PROVIDER_APIS

        if accounts is not None and accounts < 1:
            msg = f"accounts must be at least 1, got {accounts}"
            raise ValueError(msg)
        self.seed, self.applications = seed, applications
        #: The present every world's history leads up to: the sandbox's creation unless given.
        #: A reset keeps it, so that a world regenerated is the same world, stamp for stamp.
        self.anchor = anchor or now()
        #: Kombo integrations and Merge linked accounts to serve (None: their two named ones);
        #: ``applications`` is spread over them.
        self.accounts = accounts
        self.rate_limits, self.time_scale, self.odd_slugs = rate_limits, time_scale, odd_slugs
        self.faults: dict[str, Any] = {}
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.log: deque[dict[str, Any]] = deque(maxlen=500_000)
        self.damaged: list[dict[str, Any]] = []
        #: Records spoiled by ``bad_records`` so far: rotates which value lands in which field.
        self._spoiled = 0
        self._count_lock = threading.Lock()
        #: Set when the server shuts down: ends every ``hang`` and ``latency_ms`` wait at once.
        #: A reset keeps it, so that requests waiting across a reset still end on shutdown.
        self.stopping = getattr(self, "stopping", threading.Event())
        #: The clock that times a ``down_for`` outage (seconds); a test may put its own in place,
        #: and a reset keeps it.
        self.monotonic: Callable[[], float] = getattr(self, "monotonic", time.monotonic)
        #: When the faults were last set, on that clock: a ``down_for`` outage starts there.
        self.faults_set = self.monotonic()
        self.apis: dict[str, ProviderAPI] = {cls.name: cls(self) for cls in PROVIDER_APIS}

    def reset(self, odd_slugs: bool | None = None, accounts: int | None = None) -> None:
        """Regenerate every world and forget served requests, faults, damage and counts.

        ``odd_slugs`` and ``accounts`` (how many Kombo and Merge accounts are served) hold from
        now on; left out, they stay as they were. The anchor stays: the same seed gives the
        same world as before the reset, whatever ``advance`` did to it.
        """
        self.__init__(self.seed, self.applications, rate_limits=self.rate_limits,
                      time_scale=self.time_scale,
                      odd_slugs=self.odd_slugs if odd_slugs is None else odd_slugs,
                      accounts=accounts or self.accounts, anchor=self.anchor)

    def roll(self) -> float:
        """A random number for fault injection (thread-safe, seeded)."""
        with self._rng_lock:
            return self._rng.random()

    def chance(self, fault: str) -> bool:
        """Whether the fault with this rate strikes now (no roll when it is off)."""
        rate = self.faults.get(fault, 0)
        return rate > 0 and rate > self.roll()

    def count(self, provider: str, request: Request) -> dict[str, Any]:
        """Count and log one API request: path, query and the ``X-`` routing headers.

        The raw baseline of the benchmark replays this log; Authorization is never logged.
        """
        entry = {"provider": provider, "method": request.method, "path": request.path,
                 "query": request.raw_query, "status": None, "t": time.time(),
                 "route": {k: v for k, v in request.headers.items() if k.startswith("x-")}}
        if request.body and request.headers.get("content-type", "").startswith(
                "application/json"):
            entry["body"] = request.body.decode("utf-8", "replace")  # Ashby's filters
        with self._count_lock:
            self.requests[provider] = self.requests.get(provider, 0) + 1
            self.log.append(entry)
        return entry

    def handle(self, request: Request, base_url: str) -> Response:
        """Route one request to the control interface or a provider."""
        parts = request.path.strip("/").split("/")
        if parts[0] == "_sandbox":
            return self._control(request, parts[1:], base_url)
        api = self.apis.get(parts[0])
        if api is None:
            return Response(404, {"error": f"no provider {parts[0]!r} in this sandbox"})
        entry = self.count(api.name, request)
        hang = self.faults.get("hang", 0)
        if hang:
            entry["status"] = "hang"
            if self.stopping.wait(hang):
                return Response(drop=True)
        response = self._fault(request, base_url, api) or api.handle(request)
        if hang:
            response.faults.insert(0, "hang")
        if not response.drop and response.status == 200:
            if self.faults.get("malformed", 0) > self.roll():
                response.malformed = True
                response.headers["Retry-After"] = str(int(self.faults.get("retry_after", 1)))
                response.faults.append("malformed")
            elif self.faults.get("schema", 0) > self.roll() and (rows := _records(response.body)):
                rows[0].pop("id", None)
                response.faults.append("schema")
        if response.faults:
            entry["status"] = "+".join(response.faults)
        else:
            entry["status"] = "dropped" if response.drop else response.status
        return response

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
          listed by ``GET /_sandbox/damaged``; see ``Damage``.
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
                 after: dict[str, Any] | None) -> Page:
        """The next cursor of a keyset list page, after the pagination faults.

        ``here`` is the cursor state of the position this request asked for (page 1 too),
        ``after`` the state of the page that follows (None: this is the last page).
        """
        page = Page(cursor=None if after is None else encode_cursor(after))
        own = request.arg("cursor")
        if self.chance("empty_pages"):
            fresh = {**here, "empty": here.get("empty", 0) + 1}
            page = Page(empty=True, cursor=encode_cursor(fresh), faults=["empty"])
        elif own and self.chance("repeat_cursor"):
            page = Page(cursor=own, faults=["repeat"])
        if page.cursor and (origin := self.faults.get("foreign_next")):
            page.foreign = f"{origin}{request.path}?cursor={page.cursor}"
            page.faults.append("foreign_next")
        return page

    def spoil(self, request: Request, response: Response, account: str, damage: Damage,
              key: str, record: dict[str, Any]) -> None:
        """Apply ``bad_bytes`` and ``bad_records`` to the first record of a list page.

        Each spoiled field is recorded for ``GET /_sandbox/damaged`` with what a careful tap
        lands: ``expected`` (U+FFFD for the bad byte and the surrogate, the id as a string, the
        UTC instant of a readable time, null for an unreadable one).
        """
        spoiled: list[dict[str, Any]] = []
        base = {"provider": request.path.strip("/").split("/")[0], "account": account,
                "stream": damage.stream, "path": request.path, "id": key}
        if self.chance("bad_bytes"):
            marks = [(BAD_BYTE, "invalid_utf8"), ("\ud800", "lone_surrogate")]
            for path in damage.text:
                slot = _slot(record, path)
                if not marks or slot is None or not isinstance(slot[0][slot[1]], str):
                    continue
                node, k = slot
                if not node[k]:
                    continue
                mark, kind = marks.pop(0)
                node[k] = node[k][:1] + mark + node[k][1:]
                spoiled.append({**base, "fault": "bad_bytes", "field": path, "kind": kind,
                                "expected": node[k].replace(mark, "\ufffd")})
            if spoiled:
                response.faults.append("bad_bytes")
        if self.chance("bad_records"):
            before = len(spoiled)
            hit = {d["field"] for d in spoiled}
            if damage.ref and damage.ref not in hit and (slot := _slot(record, damage.ref)):
                node, k = slot
                value = str(node[k])
                node[k] = int(value) if value.isdigit() else zlib.crc32(value.encode())
                spoiled.append({**base, "fault": "bad_records", "field": damage.ref,
                                "kind": "integer_id", "served": node[k],
                                "expected": str(node[k])})
            with self._count_lock:
                n, self._spoiled = self._spoiled, self._spoiled + 1
            slots = [(path, slot) for path in damage.times if (slot := _slot(record, path))]
            for i, (path, (node, k)) in enumerate(slots):
                which = (i + n) % 3
                if which == 0:
                    node[k], expected = _odd_time(node[k], n)
                    kind = "odd_time"
                else:
                    node[k], kind, expected = UNREADABLE_TIMES[which - 1], "unreadable_time", None
                spoiled.append({**base, "fault": "bad_records", "field": path, "kind": kind,
                                "served": node[k], "expected": expected})
            if len(spoiled) > before:
                response.faults.append("bad_records")
        if spoiled:
            with self._count_lock:
                self.damaged.extend(spoiled)

    def _control(self, request: Request, parts: list[str], base_url: str) -> Response:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return Response(400, {"error": "the body must be JSON"})
        if not isinstance(body, dict):
            return Response(400, {"error": "the body must be a JSON object"})
        match (request.method, parts):
            case ("GET", ["config", name]) if name in self.apis:
                return Response(200, self.apis[name].config(base_url))
            case ("GET", ["truth", name]) if name in self.apis:
                return Response(200, self.apis[name].truth())
            case ("GET", ["fields", name]) if name in self.apis:
                return Response(200, self.apis[name].fields())
            case ("POST", ["advance"]):
                names = [body["provider"]] if "provider" in body else list(self.apis)
                changes = int(body.get("changes", 10))
                return Response(200, {n: self.apis[n].advance(changes) for n in names})
            case ("POST", ["faults"]):
                if problem := _check_faults(body):
                    return Response(400, {"error": problem})
                self.faults, self.faults_set = body, self.monotonic()
                return Response(200, self.faults)
            case ("GET", ["requests"]):
                return Response(200, {"counts": self.requests, "log": list(self.log)})
            case ("GET", ["damaged"]):
                with self._count_lock:
                    return Response(200, {"damaged": list(self.damaged)})
            case ("POST", ["reset"]):
                odd = body.get("odd_slugs")
                if odd is not None and not isinstance(odd, bool):
                    return Response(400, {"error": "odd_slugs must be true or false"})
                self.reset(odd_slugs=odd,
                           accounts=int(body["accounts"]) if "accounts" in body else None)
                return Response(200, {"reset": True, "odd_slugs": self.odd_slugs,
                                      "accounts": self.accounts})
        return Response(404, {"error": f"unknown control path /_sandbox/{'/'.join(parts)}"})


def _check_faults(body: dict[str, Any]) -> str | None:
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        """Send each answer at once, without Nagle's algorithm.

        Headers and body are separate writes; with delayed ACKs Nagle would hold every response
        back by about 40 ms.
        """
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command, path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"", raw_query=split.query,
        )
        response = self.server.sandbox.handle(request, self.server.base_url)
        if response.drop:
            self.close_connection = True
            return
        payload = response.encode()
        if response.malformed:
            payload = payload[: max(1, len(payload) // 2)]
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the sandbox logs nothing per request."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: Sandbox
    base_url: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client goes away mid-answer (killed taps, dropped connections)."""

    def shutdown(self) -> None:
        """Stop serving, and end every request still waiting in a ``hang`` or ``latency_ms``."""
        self.sandbox.stopping.set()
        super().shutdown()


def serve(sandbox: Sandbox, port: int = 0) -> _Server:
    """Bind ``sandbox`` to 127.0.0.1:``port`` (0 picks a free port); call serve_forever next."""
    server = _Server(("127.0.0.1", port), _Handler)
    server.sandbox = sandbox
    sandbox.stopping.clear()
    server.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


def serve_in_thread(sandbox: Sandbox, port: int = 0) -> _Server:
    """Start ``sandbox`` in a daemon thread and return the running server.

    It polls for shutdown every 50 ms, not the standard library's 500: a test suite starts and
    stops hundreds of sandboxes, and each stop would otherwise wait up to half a second.
    """
    server = serve(sandbox, port)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server
