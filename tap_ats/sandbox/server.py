"""The sandbox HTTP server: routing, control interface, faults and rate limits.

Provider wire formats live in one module each (``kombo.py``, ...); this module only knows the
parts every provider shares: the ``/_sandbox/*`` control interface, injected faults, fixed-window
rate limits, and a threaded HTTP/1.1 server bound to 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from tap_ats.sandbox.world import Table, World

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

    def encode(self) -> bytes:
        """The body as bytes (JSON unless already bytes)."""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


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
                self._worlds[account] = World(seed, size)
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

    def handle(self, request: Request) -> Response:
        """Answer one API request in this provider's wire format."""
        raise NotImplementedError


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


class Sandbox:
    """All provider APIs over one seed and size, with faults and optional rate limits."""

    def __init__(self, seed: int = 42, applications: int = SCALES["small"], *,
                 rate_limits: bool = False, time_scale: float = 1.0,
                 accounts: int | None = None) -> None:
        from tap_ats.sandbox import PROVIDER_APIS

        if accounts is not None and accounts < 1:
            msg = f"accounts must be at least 1, got {accounts}"
            raise ValueError(msg)
        self.seed, self.applications = seed, applications
        #: Kombo integrations and Merge linked accounts to serve (None: their two named ones);
        #: ``applications`` is spread over them.
        self.accounts = accounts
        self.rate_limits, self.time_scale = rate_limits, time_scale
        self.faults: dict[str, float] = {}
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.log: deque[dict[str, Any]] = deque(maxlen=500_000)
        self._count_lock = threading.Lock()
        self.apis: dict[str, ProviderAPI] = {cls.name: cls(self) for cls in PROVIDER_APIS}

    def reset(self, accounts: int | None = None) -> None:
        """Regenerate every world and forget served requests, faults and counts.

        ``accounts`` changes how many Kombo and Merge accounts are served from now on.
        """
        self.__init__(self.seed, self.applications, rate_limits=self.rate_limits,
                      time_scale=self.time_scale, accounts=accounts or self.accounts)

    def roll(self) -> float:
        """A random number for fault injection (thread-safe, seeded)."""
        with self._rng_lock:
            return self._rng.random()

    def count(self, provider: str, request: Request) -> dict[str, Any]:
        """Count and log one API request: path, query and the ``X-`` routing headers.

        The raw baseline of the benchmark replays this log; Authorization is never logged.
        """
        entry = {"provider": provider, "method": request.method, "path": request.path,
                 "query": request.raw_query, "status": None, "t": time.time(),
                 "route": {k: v for k, v in request.headers.items() if k.startswith("x-")}}
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
        response = self._fault() or api.handle(request)
        entry["status"] = "dropped" if response.drop else response.status
        if response.drop or response.status != 200:
            return response
        if self.faults.get("malformed", 0) > self.roll():
            response.malformed = True
            response.headers["Retry-After"] = str(int(self.faults.get("retry_after", 1)))
            entry["status"] = "malformed"
        elif self.faults.get("schema", 0) > self.roll() and (rows := _records(response.body)):
            rows[0].pop("id", None)
            entry["status"] = "schema"
        return response

    def _fault(self) -> Response | None:
        """Sleep the configured latency, then maybe answer with an injected fault.

        Faults: ``429`` and ``5xx`` (with ``Retry-After: retry_after``), ``drop`` (connection
        closed unanswered), ``malformed`` (body cut in half), ``schema`` (a record without its
        id), each a rate from 0 to 1, and ``latency_ms`` per request.
        """
        f = self.faults
        if f.get("latency_ms"):
            time.sleep(f["latency_ms"] / 1000)
        retry_after = str(int(f.get("retry_after", 1)))
        if f.get("429", 0) > self.roll():
            return Response(429, {"error": "rate limited (injected)"},
                            {"Retry-After": retry_after})
        if f.get("5xx", 0) > self.roll():
            return Response(503, {"error": "service unavailable (injected)"},
                            {"Retry-After": retry_after})
        if f.get("drop", 0) > self.roll():
            return Response(drop=True)
        return None

    def _control(self, request: Request, parts: list[str], base_url: str) -> Response:
        body = json.loads(request.body or b"{}")
        match (request.method, parts):
            case ("GET", ["config", name]) if name in self.apis:
                return Response(200, self.apis[name].config(base_url))
            case ("GET", ["truth", name]) if name in self.apis:
                return Response(200, self.apis[name].truth())
            case ("POST", ["advance"]):
                names = [body["provider"]] if "provider" in body else list(self.apis)
                changes = int(body.get("changes", 10))
                return Response(200, {n: self.apis[n].advance(changes) for n in names})
            case ("POST", ["faults"]):
                self.faults = {k: float(v) for k, v in body.items()}
                return Response(200, self.faults)
            case ("GET", ["requests"]):
                return Response(200, {"counts": self.requests, "log": list(self.log)})
            case ("POST", ["reset"]):
                self.reset(int(body["accounts"]) if "accounts" in body else None)
                return Response(200, {"reset": True, "accounts": self.accounts})
        return Response(404, {"error": f"unknown control path /_sandbox/{'/'.join(parts)}"})


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


def serve(sandbox: Sandbox, port: int = 0) -> _Server:
    """Bind ``sandbox`` to 127.0.0.1:``port`` (0 picks a free port); call serve_forever next."""
    server = _Server(("127.0.0.1", port), _Handler)
    server.sandbox = sandbox
    server.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


def serve_in_thread(sandbox: Sandbox, port: int = 0) -> _Server:
    """Start ``sandbox`` in a daemon thread and return the running server."""
    server = serve(sandbox, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
