"""The sandbox HTTP server: routing, the control interface and a threaded HTTP/1.1 server.

Provider wire formats live in one package each (``kombo/``, ...), on what they share in
:mod:`.base` (requests, answers, paging, fixed-window rate limits, truth); this module routes a
request to the control interface or a provider, through the injected faults (:mod:`.faults`,
:mod:`.damage`), and serves it all on 127.0.0.1.

Control interface (JSON in, JSON out):

- ``GET /_sandbox/config/{provider}``: a tap-ats config for this sandbox.
- ``GET /_sandbox/truth/{provider}``: what a full sync must emit now.
- ``POST /_sandbox/advance`` ``{"changes": K, "provider"?: p}``: K changes, stamped now.
- ``POST /_sandbox/faults`` ``{key: value, ...}``: replace the injected faults (``{}``: none);
  the keys are listed in ``faults.FAULTS`` and documented in ``FaultInjection._fault``. An
  unknown key or a value of the wrong type is refused with 400.
- ``GET /_sandbox/requests``: counts per provider and a log of every API request (path, query,
  a JSON body, routing headers, ``status``: the HTTP status, or the name of the fault injected).
- ``GET /_sandbox/damaged``: every field the ``bad_bytes`` and ``bad_records`` faults spoiled.
- ``POST /_sandbox/reset`` ``{"odd_slugs"?: bool}``: a fresh world, faults off; ``odd_slugs``
  (kept until the next reset that names it) gives ATZ CRM candidates and jobs slugs with ``/``,
  ``..``, ``?``, ``#``, ``%``, spaces and non-ASCII.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tap_ats.sandbox.base import ProviderAPI, Request, Response
from tap_ats.sandbox.damage import RecordDamage
from tap_ats.sandbox.faults import FaultInjection, check_faults, rows_of
from tap_ats.sandbox.world import now

SCALES = {"small": 200, "medium": 5_000, "large": 100_000}


class Sandbox(FaultInjection, RecordDamage):
    """All provider APIs over one seed and size, with faults and optional rate limits.

    The faults are its :class:`FaultInjection` and :class:`RecordDamage` halves; their state is
    set up here, with the rest, so that :meth:`reset` renews it all at once.
    """

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
            elif self.faults.get("schema", 0) > self.roll() and (rows := rows_of(response.body)):
                rows[0].pop("id", None)
                response.faults.append("schema")
        if response.faults:
            entry["status"] = "+".join(response.faults)
        else:
            entry["status"] = "dropped" if response.drop else response.status
        return response

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
                if problem := check_faults(body):
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
