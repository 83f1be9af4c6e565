"""The tap: its settings, the provider it reads, and the streams that provider serves."""

from __future__ import annotations

import sys
import typing as t
from functools import cached_property

import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import FatalSyncError, SingerSDKError
from singer_sdk.singerlib import Message, RecordMessage

from tap_ats import providers

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams import Stream


class AccountsFailed(FatalSyncError):
    """Raised after the sync when one or more accounts could not be read."""


class Writer(MsgSpecWriter):
    """The SDK's msgspec writer, sending RECORDs to stdout in chunks instead of one by one.

    The SDK writes and flushes every message on its own: one system call per record, two when
    the environment sets ``PYTHONUNBUFFERED`` (as many containers do), where that was over a
    third of the tap's CPU in the benchmark. Records still leave in order, and any other
    message (SCHEMA, STATE, ACTIVATE_VERSION) first sends out the records before it, so a target
    never sees a bookmark before the records it covers, and a crash loses only records that no
    emitted state has claimed.
    """

    CHUNK_BYTES = 2**16

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()

    def write_message(self, message: Message) -> None:
        """Queue one message; send the queue when it is full or the message is not a RECORD."""
        self._pending += self.format_message(message)
        if len(self._pending) >= self.CHUNK_BYTES or not isinstance(message, RecordMessage):
            out, sent = sys.stdout.buffer, 0
            with memoryview(self._pending) as chunk:
                while sent < len(chunk):  # an unbuffered stdout may take part of a chunk
                    sent += out.write(chunk[sent:])
            self._pending.clear()
            sys.stdout.flush()


class TapATS(Tap):
    """Singer tap for applicant-tracking systems, in one unified schema per entity."""

    name = "tap-ats"
    message_writer_class = Writer

    config_jsonschema = th.PropertiesList(
        th.Property("provider", th.StringType,
                    description="Which ATS API to read: greenhouse, kombo, merge or atzcrm "
                                "(required; checked with the provider's own settings)."),
        th.Property("start_date", th.DateTimeType,
                    description="Earliest change time to read on the first sync (RFC 3339)."),
        th.Property("api_url", th.StringType,
                    description="API root override: a region (Kombo US, Merge EU) or the sandbox."),
        th.Property("page_size", th.IntegerType,
                    description="Records per page; defaults to the provider's maximum."),
        th.Property("include_raw", th.BooleanType, default=True,
                    description="Keep the untouched source record in the `raw` column."),
        th.Property("lookback_window", th.IntegerType, default=5,
                    description="Minutes re-read before each bookmark; upserts make it harmless."),
        th.Property("max_requests_per_minute", th.NumberType,
                    description="Request budget per account (defaults: Merge 100, ATZ CRM 60, "
                                "Greenhouse from its rate-limit headers, Kombo unpaced)."),
        th.Property("max_concurrency", th.IntegerType, default=4,
                    description="Accounts (and ATZ CRM history calls) read at once, each "
                                "account within its own request budget; 1 reads sequentially."),
        th.Property("account_shard", th.StringType,
                    description="Read only shard k of N of the accounts (\"k/N\", 1-based), by a "
                                "stable hash of each account id, to spread many accounts over "
                                "parallel runs; give each shard its own state id."),
        th.Property("account_id", th.StringType,
                    description="Label stored as `account_id` for Greenhouse and ATZ CRM "
                                "(Kombo and Merge use the integration or linked account)."),
        th.Property("client_id", th.StringType, description="Greenhouse: Harvest v3 client id."),
        th.Property("client_secret", th.StringType, secret=True,
                    description="Greenhouse: Harvest v3 client secret."),
        th.Property("user_id", th.StringType,
                    description="Greenhouse: id of the Site Admin user the token acts as (sub)."),
        th.Property("token_url", th.StringType,
                    description="Greenhouse: OAuth token endpoint (default auth.greenhouse.io)."),
        th.Property("api_key", th.StringType, secret=True,
                    description="Kombo or Merge: the API key (Bearer)."),
        th.Property("integration_ids", th.ArrayType(th.StringType),
                    description="Kombo: the integrations to read, one account each."),
        th.Property("account_tokens", th.ArrayType(th.StringType), secret=True,
                    description="Merge: linked-account tokens, one account each."),
        th.Property("api_token", th.StringType, secret=True,
                    description="ATZ CRM: the API token (Bearer)."),
    ).to_dict()

    @cached_property
    def provider(self) -> providers.Provider:
        """The configured provider, settings checked."""
        return providers.load(self.config)

    @cached_property
    def include_raw(self) -> bool:
        """Whether records keep their source record in ``raw`` (read once: asked per record)."""
        return bool(self.config.get("include_raw", True))

    @property
    def lookback_minutes(self) -> int:
        """Minutes re-read before each bookmark."""
        return int(self.config.get("lookback_window") or 0)

    @property
    def max_concurrency(self) -> int:
        """Accounts read at once."""
        return max(1, int(self.config.get("max_concurrency") or 4))

    def discover_streams(self) -> list[Stream]:
        """The unified streams the configured provider can serve."""
        return [cls(self) for cls in self.provider.stream_classes()]

    def account_failed(self, context: Context | None, stream: str, exc: Exception) -> None:
        """Report one account's failure and go on with the others."""
        account = (context or {}).get("account_id", "?")
        self.provider.failures.append(f"{stream} [{account}]: {exc}")
        self.logger.error("Account %s failed on %s, bookmark kept: %s", account, stream, exc)

    def sync_all(self) -> None:
        """Sync everything, then fail the run if any account failed."""
        super().sync_all()
        if failures := self.provider.failures:
            msg = (f"{len(failures)} account stream(s) failed (each logged above); "
                   f"the first: {failures[0]}")
            raise AccountsFailed(msg)


def main() -> None:
    """Console entry point: a user mistake ends in one clear line and exit code 1."""
    try:
        TapATS.cli()
    except (SingerSDKError, requests.RequestException) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"tap-ats: error: {message}\n")
        sys.exit(1)
