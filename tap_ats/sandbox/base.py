"""What every provider API of the sandbox builds on: requests, answers, paging and truth.

A provider package (``kombo/``, ``merge/``, ...) subclasses :class:`ProviderAPI` and answers
:class:`Request` with :class:`Response`; the helpers here are the parts their wire formats share
(keyset pages, RFC 3339 times, fixed-window rate limits) and the shapes of their ground truth.
Nothing here imports a provider, and the server only for the ``Sandbox`` annotation: the server
and the providers build on this module, never the reverse.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from tap_ats.sandbox.world import Table, World

if TYPE_CHECKING:
    from tap_ats.sandbox.server import Sandbox


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


def changed_since(after: dt.datetime | None, include_deleted: bool) -> Callable[[Any], bool]:
    """Whether a record is in a unified API's list (Kombo's and Merge's filters).

    Changed at or after ``after`` when it is given, and not deleted unless deleted records were
    asked for.
    """

    def keep(record: Any) -> bool:
        return ((include_deleted or getattr(record, "deleted_at", None) is None)
                and (after is None or record.updated_at >= after))

    return keep


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

