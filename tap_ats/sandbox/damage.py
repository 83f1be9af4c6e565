"""Spoiled records: the ``bad_bytes`` and ``bad_records`` faults, and what they leave behind.

Each provider names, per list endpoint, which fields of its records may be spoiled
(:class:`Damage`); :class:`RecordDamage` spoils the first record of a page when the faults
strike and notes every field it touched, with the value a careful tap lands, for
``GET /_sandbox/damaged``.
"""

from __future__ import annotations

import datetime as dt
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tap_ats.sandbox.base import BAD_BYTE, Request, Response

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


class RecordDamage:
    """The damage half of the sandbox: spoils records and keeps the list of what it spoiled."""

    #: Provided by :class:`~tap_ats.sandbox.server.Sandbox`, which sets them up and resets them,
    #: and by :class:`~tap_ats.sandbox.faults.FaultInjection` (annotations only).
    damaged: list[dict[str, Any]]
    _spoiled: int
    _count_lock: threading.Lock
    chance: Callable[[str], bool]

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
