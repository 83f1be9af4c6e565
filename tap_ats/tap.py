"""The tap: its settings, the provider it reads, the streams it serves, and how a sync ends.

After the sync, the outcomes decide: exit 3 (``PARTIAL_EXIT``) when accounts or streams failed
and every other one was committed, else the run went through (cli.py maps every other ending to
its code and one line).
"""

from __future__ import annotations

import contextlib
import gc
import signal
import threading
import typing as t
from functools import cached_property

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import FatalSyncError

from tap_ats.http import DEFAULT_REQUEST_TIMEOUT, AccountNotReady, Refused, Transport
from tap_ats.outcomes import ApiDown, Probation
from tap_ats.provider import PROVIDERS, Provider, load, number
from tap_ats.readahead import PageWaits
from tap_ats.report import RunReport
from tap_ats.retry import DEFAULT_RETRY_BUDGET, RETRY_BUDGET_BOUNDS
from tap_ats.state import HeldStateWriter
from tap_ats.writer import Terminated, Writer

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType

    from singer_sdk.exceptions import FatalAPIError
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams import Stream


class AccountsFailed(FatalSyncError):
    """Raised after the sync when accounts or streams failed and every other one was committed.

    Its own exit code, ``PARTIAL_EXIT``, tells a scheduler "some accounts failed, the rest are
    in" apart from a run that failed as a whole (1).
    """


#: The exit code of a run in which some accounts or streams failed and the rest committed.
PARTIAL_EXIT = 3


#: Net container allocations between two runs of the cyclic collector's youngest generation,
#: during a sync (CPython's default: 700).
GC_THRESHOLD = 10_000


@contextlib.contextmanager
def rare_collections() -> Iterator[None]:
    """Freeze what startup built and run the cyclic collector rarely, for the time of a sync.

    A sync allocates millions of short-lived containers (decoded pages, records) that reference
    counting frees; few are in cycles. At CPython's default threshold the collector ran about
    1,800 times in a sync of 20,000 Kombo applications, and each full collection walked every
    object startup left (modules, schemas, the catalog): 0.54 of its 3.8 CPU seconds. Frozen
    and at ``GC_THRESHOLD``: 0.06 s (Greenhouse 0.31 to 0.06, ATZ CRM 0.89 to 0.06), the same
    peak RSS. Cycles are still collected, only less often.
    """
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


#: A setting that may be fractional: a number, or a string holding one. Meltano 4.4 cannot pass a
#: fraction through as a number (its ``integer`` kind refuses "90.5", its ``decimal`` kind fails
#: to write the config), so such settings are ``kind: string`` in meltano.yml, and the tap reads
#: the number from the string (:func:`tap_ats.provider.number`).
NUMBER = th.CustomType({"type": ["number", "string"]})


class TapATS(Tap):
    """Singer tap for applicant-tracking systems, in one unified schema per entity."""

    name = "tap-ats"
    message_writer_class = Writer
    message_writer: Writer

    config_jsonschema = th.PropertiesList(
        th.Property("provider", th.StringType, allowed_values=list(PROVIDERS),
                    required=True,
                    description="Which ATS API to read: greenhouse, kombo, merge, atzcrm, lever or "
                                "ashby (required; checked with the provider's own settings)."),
        th.Property("start_date", th.DateTimeType,
                    description="Earliest change time to read on the first sync (RFC 3339)."),
        th.Property("api_url", th.StringType,
                    description="API root override: a region (Kombo US, Merge EU) or the sandbox. "
                                "Must be https:// (http only for loopback hosts)."),
        th.Property("page_size", th.IntegerType,
                    description="Records per page; defaults to the provider's maximum."),
        th.Property("include_raw", th.BooleanType, default=True,
                    description="Keep the untouched source record in the `raw` column."),
        th.Property("include_scorecard_notes", th.BooleanType, default=False,
                    description="Load scorecards' free-text notes (personal opinions about a "
                                "candidate): off by default, the `notes` column stays null."),
        th.Property("lookback_window", th.IntegerType, default=5,
                    description="Minutes re-read before each bookmark; upserts make it harmless."),
        th.Property("max_requests_per_minute", NUMBER,
                    description="Request budget per account (defaults: Merge 100, ATZ CRM 60, "
                                "Greenhouse from its rate-limit headers, Kombo unpaced)."),
        th.Property("max_concurrency", th.IntegerType, default=4,
                    description="Accounts (and ATZ CRM history calls) read at once, each "
                                "account within its own request budget; 1 reads sequentially."),
        th.Property("request_timeout", NUMBER, default=int(DEFAULT_REQUEST_TIMEOUT),
                    description="Seconds to wait for an answer to one request attempt (the "
                                "read timeout; connecting has its own 10 s)."),
        th.Property("retry_budget", th.IntegerType, default=DEFAULT_RETRY_BUDGET,
                    description="Seconds one request keeps retrying a 429, a 5xx, a dropped "
                                "connection or a timeout before its stream fails "
                                f"({RETRY_BUDGET_BOUNDS[0]} to {RETRY_BUDGET_BOUNDS[1]}); "
                                "long enough to outlast an incident of a few minutes."),
        th.Property("progress_interval", th.IntegerType, default=30,
                    description="Seconds between the INFO progress lines of a long stream "
                                "(records, requests, rate; ATZ CRM: candidates left and ETA)."),
        th.Property("ca_bundle", th.StringType,
                    description="PEM file of extra CA certificates to trust (a private CA); "
                                "certificate verification itself is never turned off."),
        th.Property("account_shard", th.StringType,
                    description="Read only shard k of N of the accounts (\"k/N\", 1-based), by a "
                                "stable hash of each account id (for Merge, of a key of the "
                                "account's token), to spread many accounts over parallel runs; "
                                "give each shard its own state id."),
        th.Property("fail_on_skipped_streams", th.BooleanType, default=False,
                    description="Exit 3 when a stream was skipped because the credential or "
                                "account may not read it (403, or 404 on its list path); by "
                                "default it is a warning and the other streams land."),
        th.Property("run_report", th.StringType,
                    description="Write a JSON report of each account's and stream's outcome "
                                "(ok, skipped, failed, with reason, records and requests) to "
                                "this file at the end of every run."),
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
                    description="Kombo or Merge: the API key (Bearer); Lever or Ashby: the API "
                                "key (basic-auth user)."),
        th.Property("integration_ids", th.ArrayType(th.StringType),
                    description="Kombo: the integrations to read, one account each."),
        th.Property("account_tokens", th.ArrayType(th.StringType), secret=True,
                    description="Merge: linked-account tokens, one account each."),
        th.Property("api_token", th.StringType, secret=True,
                    description="ATZ CRM: the API token (Bearer)."),
        th.Property("atzcrm_full_refresh_days", NUMBER, default=7,
                    description="ATZ CRM: re-read every candidate's history at least this "
                                "often (days), a rotating slice per run; changed candidates "
                                "are read at once. 0 re-reads every history on every run."),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._state_writer = HeldStateWriter(self.message_writer)  # see tap_ats.state
        known = set(self.config_jsonschema["properties"])
        if unknown := sorted(set(self.config) - known):
            self.logger.warning("Unknown setting(s) ignored: %s", ", ".join(unknown))
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """Stop now, or right after the chunk being written (never half a message)."""
        Terminated.received = Terminated.received or signum
        if self.message_writer.writing:
            self.message_writer.stop_signal = signum
        else:
            raise Terminated(signum)

    @cached_property
    def provider(self) -> Provider:
        """The configured provider, settings checked."""
        return load(self.config)

    @cached_property
    def transport(self) -> Transport:
        """The one transport every request of this run goes through."""
        return Transport(self.provider.name, self.provider.api_url,
                         request_timeout=number(self.config, "request_timeout",
                                                DEFAULT_REQUEST_TIMEOUT),
                         retry_budget=self.config.get("retry_budget") or DEFAULT_RETRY_BUDGET,
                         ca_bundle=self.config.get("ca_bundle"), logger=self.logger)

    @cached_property
    def probation(self) -> Probation:
        """Accounts whose next request is a probe, and those whose API was found down."""
        return Probation()

    @cached_property
    def page_waits(self) -> PageWaits:
        """How long the API takes to give a page, every stream's: whether to read ahead."""
        return PageWaits()

    @cached_property
    def report(self) -> RunReport:
        """The outcome of every account and stream of this run."""
        return RunReport(self.provider.name, self.provider.failures)

    @cached_property
    def include_raw(self) -> bool:
        """Whether records keep their source record in ``raw`` (read once: asked per record)."""
        return bool(self.config.get("include_raw", True))

    @cached_property
    def include_scorecard_notes(self) -> bool:
        """Whether scorecards keep their free-text notes (off unless asked for)."""
        return bool(self.config.get("include_scorecard_notes", False))

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

    def failed(self, context: Context | None) -> bool:
        """Whether the account of ``context`` was given up or skipped earlier in this run."""
        account = (context or {}).get("account_id")
        return account in self.provider.failures or account in self.report.skipped_accounts

    def account_failed(self, context: Context | None, stream: str, exc: Exception) -> None:
        """Give the account up for the rest of the run (bookmarks kept) and go on.

        An account that is not ready yet (:class:`AccountNotReady`) is skipped instead: one
        WARNING, and the run does not fail for it.
        """
        account = (context or {}).get("account_id", "?")
        if isinstance(exc, AccountNotReady):
            self.report.skip_account(account, stream, str(exc))
            self.logger.warning("Skipped account %s for this run, its bookmarks kept (it is "
                                "read on a later run): %s", account, exc)
            return
        self.provider.failures.setdefault(account, f"{stream}: {exc}")
        self.report.end(account, stream, "failed", str(exc), getattr(exc, "status", None))
        self.logger.error("Account %s failed on %s, bookmark kept: %s", account, stream, exc)

    def stream_ended(self, context: Context | None, stream: Stream, status: str,
                     exc: FatalAPIError) -> None:
        """One stream of the account is ``skipped`` (not permitted) or ``failed``; the rest go on.

        A skip is one WARNING naming the account, the stream, the path and what to enable.
        """
        account = (context or {}).get("account_id", "?")
        code = exc.status if isinstance(exc, Refused) else None
        self.report.end(account, stream.name, status, str(exc), code)
        if isinstance(exc, Refused):
            self.logger.warning(
                "Skipped stream %s of account %s: %s answered %d, so this credential or account "
                "may not read it; its bookmark is kept and the account's other streams are "
                "read. To read it, %s", stream.name, account, exc.path, exc.status,
                self.provider.permission_hint(stream.name, exc.path))
        else:
            self.logger.error("Stream %s of account %s failed, its bookmark kept (the "
                              "account's other streams are read): %s", stream.name, account, exc)

    def sync_all(self) -> None:
        """Sync everything, warn about repaired values, then end as the outcomes say.

        Exit 3 (``PARTIAL_EXIT``) when an account or one of its streams failed, when a stream
        was read with a lookup's columns null, when an account could read none of its streams,
        or (``fail_on_skipped_streams``) when a stream was skipped: every other account and
        stream was committed. Exit 1 (:class:`ApiDown`) when the API was down for every
        account. The run report, if asked for, is written whatever the ending.
        """
        code = 1
        try:
            with rare_collections():
                super().sync_all()
            # The records queued and the STATE held, in that order. A run that ends otherwise
            # (a signal, the target gone) leaves them: its last STATE written covers less.
            self.message_writer.flush()
            for account in self.report.unreadable_accounts():
                self.provider.failures[account] = (
                    "every stream was refused (403/404): the credential can read none of them")
            down = self.probation.down
            if down and set(down) >= set(self.report.streams) | set(self.provider.failures):
                first, detail = next(iter(down.items()))
                msg = (f"the {self.provider.name} API is down: all {len(down)} account(s) "
                       f"stopped, bookmarks kept; {first}: {detail}")
                raise ApiDown(msg)
            problems = {**self.provider.failures, **self.report.failed_streams()}
            partial = self.report.partial_streams()
            if problems or partial:
                named = "; ".join(f"{where} ({reason})" for where, reason in problems.items())
                ends = [f"{len(problems)} account(s) or stream(s) failed, bookmarks kept: "
                        f"{named}"] if problems else []
                if partial:
                    by_reason: dict[str, list[str]] = {}
                    for where, reason in partial.items():
                        by_reason.setdefault(reason, []).append(where)
                    ends.append(f"{len(partial)} stream(s) read with columns left null, "
                                "bookmarks kept so that the next run fills them: " + "; ".join(
                                    f"{', '.join(w)} ({r})" for r, w in by_reason.items()))
                code = PARTIAL_EXIT
                raise AccountsFailed("; ".join(ends))
            skipped = self.report.skipped()
            if skipped and self.config.get("fail_on_skipped_streams"):
                named = ", ".join(f"{stream} of {account}" for account, stream in skipped)
                msg = (f"{len(skipped)} stream(s) skipped for want of permission "
                       f"(fail_on_skipped_streams is on): {named}")
                code = PARTIAL_EXIT
                raise AccountsFailed(msg)
            code = 0
        finally:
            self._warn_repairs()
            if Terminated.received is not None:
                code = 128 + Terminated.received
            if path := self.config.get("run_report"):
                self.report.write(path, code)

    def _warn_repairs(self) -> None:
        for stream in self.streams.values():
            if repaired := getattr(stream, "repaired", 0):
                self.logger.warning(
                    "%s: %d character(s) of invalid UTF-8 or lone surrogates in responses were "
                    "replaced by U+FFFD", stream.name, repaired)
            if nulled := stream.conformer.nulled:
                columns = ", ".join(f"{name} x{n}" for name, n in sorted(nulled.items()))
                self.logger.warning(
                    "%s: %d value(s) could not be understood and were loaded as null (%s); "
                    "the source values are kept in raw", stream.name, sum(nulled.values()),
                    columns)
