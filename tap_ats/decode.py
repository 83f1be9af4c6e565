"""Response bodies to values: msgspec for the bodies it accepts, repairs for the few it refuses.

The transport decodes every body once, inside its retry loop; a body that is not JSON at all is
retried like a dropped connection, and one with bytes no target could store is repaired and
counted rather than ending the run.
"""

from __future__ import annotations

import json
import re
import typing as t

import msgspec
from singer_sdk.exceptions import RetriableAPIError

_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: t.Any) -> tuple[t.Any, int]:
    """``value`` with lone surrogates replaced by U+FFFD, and how many were replaced."""
    if isinstance(value, str):
        return _SURROGATE.subn("\ufffd", value)
    if isinstance(value, list):
        pairs = [_scrub(v) for v in value]
        return [v for v, _ in pairs], sum(n for _, n in pairs)
    if isinstance(value, dict):
        pairs = [(k, *_scrub(v)) for k, v in value.items()]
        return {k: v for k, v, _ in pairs}, sum(n for _, _, n in pairs)
    return value, 0


def decode(content: bytes) -> tuple[t.Any, int]:
    """The JSON value in ``content`` and the number of characters that had to be replaced.

    msgspec decodes valid bodies several times faster than the standard library; only a body it
    refuses takes the slow path, where invalid UTF-8 and lone surrogate escapes (which msgspec
    rejects and which no target could store) become U+FFFD. A body that is still not JSON is
    truncated or not JSON at all: :class:`RetriableAPIError`.
    """
    try:
        return msgspec.json.decode(content), 0
    except (msgspec.DecodeError, UnicodeDecodeError):  # invalid UTF-8 raises the latter
        pass
    text = content.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd") - content.count(b"\xef\xbf\xbd")
    try:
        value = json.loads(text)
    except ValueError as exc:
        msg = f"unparseable JSON body ({len(content)} bytes)"
        raise RetriableAPIError(msg) from exc
    value, surrogates = _scrub(value)
    return value, replaced + surrogates
