"""The provider base every provider module fills in, and the registry that finds them by name.

A provider module holds everything specific to one API: its default URL, page size, auth,
accounts, rate limit, error wording, and one stream class per unified stream it can serve.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import re
import threading
import typing as t
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import requests
from singer_sdk.exceptions import ConfigurationError

from tap_ats.http import Pacer, check_url
from tap_ats.retry import RETRY_BUDGET_BOUNDS

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams import Stream

PROVIDERS = {
    "greenhouse": "tap_ats.providers.greenhouse:Greenhouse",
    "kombo": "tap_ats.providers.kombo:Kombo",
    "merge": "tap_ats.providers.merge:Merge",
    "atzcrm": "tap_ats.providers.atzcrm:AtzCrm",
    "lever": "tap_ats.providers.lever:Lever",
    "ashby": "tap_ats.providers.ashby:Ashby",
}


class SettingError(ConfigurationError):
    """A missing or wrong setting; its message names the setting and is shown as one line."""


def number(config: t.Mapping[str, t.Any], key: str, default: float | None = None) -> float | None:
    """A setting that may be fractional, given as a number or a string (as Meltano passes it)."""
    value = config.get(key)
    if value is None or value == "":
        return default
    try:
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        msg = f"setting '{key}' must be a number, got {value!r}"
        raise SettingError(msg) from None


def load(config: t.Mapping[str, t.Any]) -> Provider:
    """The provider named by the ``provider`` setting, with its settings checked."""
    name = config.get("provider")
    if not name:
        msg = f"setting 'provider' is required: one of {', '.join(PROVIDERS)}"
        raise SettingError(msg)
    if name not in PROVIDERS:
        msg = f"setting 'provider' is {name!r}; expected one of {', '.join(PROVIDERS)}"
        raise SettingError(msg)
    module, cls = PROVIDERS[name].split(":")
    provider: Provider = getattr(importlib.import_module(module), cls)(config)
    provider.validate()
    return provider


class Provider:
    """One provider: settings, accounts, pacing and the stream classes it serves."""

    name: t.ClassVar[str]
    default_url: t.ClassVar[str]
    max_page_size: t.ClassVar[int]
    #: Settings that must be present, beyond ``provider``.
    required: t.ClassVar[tuple[str, ...]] = ()
    #: Whether one credential serves every account, so that a 401 stops the whole run.
    shared_credentials: t.ClassVar[bool] = True
    #: Requests per minute per account when ``max_requests_per_minute`` is not set.
    default_requests_per_minute: t.ClassVar[float | None] = None

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        self.config = config
        #: Why each account that could not be read failed; the run exits non-zero if any did.
        self.failures: dict[str, str] = {}
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()
        self.shard = Shard.parse(config.get("account_shard"))

    @property
    def api_url(self) -> str:
        """The API root, without a trailing slash."""
        return (self.config.get("api_url") or self.default_url).rstrip("/")

    def stream_classes(self) -> list[type[Stream]]:
        """The unified streams this provider serves (others are absent from its catalog)."""
        raise NotImplementedError

    @cached_property
    def accounts(self) -> list[str]:
        """The account ids to read (those of ``account_shard``), each its own state partition."""
        return [a for a in [self.config.get("account_id") or self.name] if self.shard.holds(a)]

    def validate(self) -> None:
        """Fail at start, on one line naming the setting, when a setting is missing or wrong."""
        for key in self.required:
            if not self.config.get(key):
                msg = f"setting '{key}' is required for provider '{self.name}'"
                raise SettingError(msg)
        if problem := check_url("api_url", self.api_url):
            raise SettingError(problem)
        if start := self.config.get("start_date"):
            try:
                dt.datetime.fromisoformat(str(start).replace("Z", "+00:00"))
            except ValueError:
                msg = f"setting 'start_date' must be an RFC 3339 date-time, got {start!r}"
                raise SettingError(msg) from None
        size = self.config.get("page_size")
        if size is not None and not 1 <= int(size) <= self.max_page_size:
            msg = f"setting 'page_size' must be 1 to {self.max_page_size} for {self.name}"
            raise SettingError(msg)
        for key in ("max_requests_per_minute", "request_timeout"):
            value = number(self.config, key)
            if value is not None and not value > 0:
                msg = f"setting '{key}' must be a number above 0, got {self.config[key]!r}"
                raise SettingError(msg)
        budget, (low, high) = self.config.get("retry_budget"), RETRY_BUDGET_BOUNDS
        if budget is not None and not low <= budget <= high:
            msg = f"setting 'retry_budget' must be {low} to {high} seconds, got {budget!r}"
            raise SettingError(msg)
        report = self.config.get("run_report")
        if report and not Path(report).parent.is_dir():
            msg = (f"setting 'run_report' must be a file path in an existing directory, "
                   f"got {report!r}")
            raise SettingError(msg)
        bundle = self.config.get("ca_bundle")
        if bundle and not Path(bundle).is_file():
            msg = f"setting 'ca_bundle' must be a PEM file of CA certificates: {bundle!r} is not"
            raise SettingError(msg)

    def pacer(self, context: Context | None) -> Pacer:
        """The pacer of the account behind ``context`` (one budget per account)."""
        key = (context or {}).get("account_id", "")
        with self._lock:
            if key not in self._pacers:
                rpm = (number(self.config, "max_requests_per_minute")
                       or self.default_requests_per_minute)
                self._pacers[key] = Pacer(rpm)
            return self._pacers[key]

    def error_detail(self, response: requests.Response) -> str:
        """The provider's own error text from a response body, shortened to one line."""
        text = response.text.strip().replace("\n", " ")
        return text[:300]

    def auth_hint(self, status: int) -> str:
        """What to check after a 401."""
        return "Check the credentials"

    def permission_hint(self, stream: str, path: str) -> str:
        """What the credential or account needs to read ``stream`` (its list ``path``)."""
        return f"check that the credential may read {path}"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (``account_shard: "k/N"``, 1-based), by a key per account.

    An account belongs to shard ``sha256(key) mod N + 1``, its key being its id (a Merge
    account's: its token's shard key, known without a request): a digest, not Python's
    ``hash()``, so that the same account lands in the same shard on every machine and every run
    (its bookmarks live in that shard's state), and the N shards hold every account exactly
    once whatever the order of the configured list.
    """

    index: int = 1
    count: int = 1

    @classmethod
    def parse(cls, value: object) -> Shard:
        """The shard named by the setting; unset means the one shard that holds everything."""
        if value is None or value == "":
            return cls()
        found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(value))
        if not found or not 1 <= int(found[1]) <= int(found[2]):
            msg = (f"setting 'account_shard' must be \"k/N\" with 1 <= k <= N (e.g. \"2/4\"), "
                   f"got {value!r}")
            raise SettingError(msg)
        return cls(int(found[1]), int(found[2]))

    def holds(self, key: str) -> bool:
        """Whether the account of ``key`` (its id, or a Merge token's key) is in this shard."""
        digest = hashlib.sha256(key.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1
