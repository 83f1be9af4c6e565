"""Merge's client: the provider and the base stream every Merge stream is declared on.

:class:`Merge` holds the settings, resolves each account token to its linked account, and words
Merge's errors and hints. :class:`MergeStream` is the base client: URL, bearer key and account
token, body cursor, the same filters on every page, ``expand`` (and reading on without it), the
``results`` envelope and the common columns; :func:`related`, :func:`ids` and
:func:`custom_fields` read the related objects and Field Mapping values of any model.

Imports flow one way: :mod:`.streams` and :mod:`.entities` import this module, never the
reverse at load; :meth:`Merge.stream_classes` imports them inside the method, when the tap asks.
"""

from __future__ import annotations

import hashlib
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import FatalAPIError, FatalSyncError

from tap_ats.client import ATSStream
from tap_ats.conform import ts
from tap_ats.http import GiveUp, Refused
from tap_ats.paging import BodyCursorPaginator
from tap_ats.provider import Provider

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

#: Merge's Common Model behind each stream, as its scopes and the README name them (the
#: derived streams name the model they are read from).
MODELS = {"applications": "Application", "jobs": "Job", "job_stages": "JobInterviewStage",
          "interviews": "ScheduledInterview", "candidates": "Candidate", "users": "RemoteUser",
          "offers": "Offer", "departments": "Department", "offices": "Office",
          "rejection_reasons": "RejectReason", "scorecards": "Scorecard", "demographics": "EEOC",
          "sources": "Application", "job_hiring_team": "Job"}


def token_key(token: str) -> str:
    """A token's shard key: the first 16 hex digits of its SHA-256.

    One-way, so it can be kept in state and named in a shard's placement without giving the
    token away; fixed for a token, so the token stays in its shard from run to run.
    """
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class Merge(Provider):
    """Merge: one account per linked-account token, sharded by the token's :func:`token_key`.

    A linked account's id is only known after a request (``account-details``), so shards split
    the tokens instead: a shard looks up only the tokens whose key it holds, and the lookups of
    N shards together are one per token whatever N. The key is written beside each account's
    bookmarks (``shard_key`` in its state partitions), so that ``tap_ats_reshard`` places them
    by the same rule. The price: a rotated token (a re-linked account) may move its account to
    another shard, whose state has no bookmark for it: that account is read in full once
    (upserts: no row lost or doubled) and its old partition stays, unused, in the old shard's
    state; and two tokens of one account in two shards both read it (harmless upserts, twice
    the requests).
    """

    name = "merge"
    default_url = "https://api.merge.dev/api"
    max_page_size = 100
    required = ("api_key", "account_tokens")
    shared_credentials = False
    default_requests_per_minute = 100

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        super().__init__(config)
        self._tokens: dict[str, str] | None = None
        #: Linked-account id → the shard key of the token it is read with.
        self.shard_keys: dict[str, str] = {}
        # Not the base's lock: resolving sends requests, and pacing them takes that one.
        self._resolve_lock = threading.Lock()

    def resolve(self, stream: MergeStream) -> dict[str, str]:
        """Linked-account id → token for this run's accounts, asked once per run.

        The tokens of ``account_shard`` (by :func:`token_key`) are looked up, and only they
        (``GET /account-details``, through ``stream``'s retrying client, ``max_concurrency`` at
        a time). A token Merge refuses, or whose account stays unreachable, is reported by its
        position in ``account_tokens`` (never by value) and left out. When Merge answered none
        of them, the run ends on one line: a refused ``api_key`` looks just so, and every token
        would meet it (an account Merge answered for but cannot read, such as one to relink,
        fails alone). Once the linked account is known, the lookup's pacer becomes the
        account's, so the lookup counts against the same per-account budget as the reads that
        follow.
        """
        with self._resolve_lock:
            if self._tokens is None:
                self._tokens = self._lookup(stream)
            return self._tokens

    def _lookup(self, stream: MergeStream) -> dict[str, str]:
        mine = [(n, token) for n, token in enumerate(self.config["account_tokens"], 1)
                if self.shard.holds(token_key(token))]
        if not mine:  # a shard without tokens reads nothing and succeeds
            return {}
        workers = max(1, int(self.config.get("max_concurrency") or 4))
        with ThreadPoolExecutor(workers, thread_name_prefix="account-details") as pool:
            found = list(pool.map(lambda item: self._account_of(stream, *item), mine))
        resolved, errors = {}, {}
        for (n, token), (account, error) in zip(mine, found, strict=True):
            if error is None:
                resolved[account] = token
            else:  # named by its linked account when Merge said which one it is
                errors[account or f"account token #{n}"] = error
        if not any(account for account, _ in found):
            msg = "no Merge account could be read: " + "; ".join(
                f"{label}: {error}" for label, error in errors.items())
            raise FatalSyncError(msg)
        self.failures.update(errors)
        self.shard_keys = {account: token_key(token) for account, token in resolved.items()}
        return resolved

    def _account_of(self, stream: MergeStream, number: int,
                    token: str) -> tuple[str | None, str | None]:
        """(linked-account id or None, None or why the account cannot be read) for one token."""
        label = f"account token #{number}"
        request = stream.build_prepared_request(
            method="GET", url=f"{self.api_url}/ats/v1/account-details",
            headers={"X-Account-Token": token})
        try:
            details = stream.send(request, {"account_id": label}).body
            account = str(details["id"])
        except FatalAPIError as exc:
            return None, str(exc)
        except (KeyError, TypeError) as exc:
            return None, f"account-details without an id ({exc!r})"
        with self._lock:
            if label in self._pacers:
                self._pacers[account] = self._pacers.pop(label)
        stream.tap.report.rename(label, account)
        return account, unusable(details)

    def stream_classes(self) -> list[type]:
        """All but candidate_history and custom_field_definitions (see the package docstring).

        Imported here, not at the top: the stream modules import this one.
        """
        from tap_ats.providers.merge import entities, streams

        return [streams.Applications, streams.MergeApplicationStages, entities.Sources,
                streams.Jobs, entities.JobHiringTeam, streams.JobStages, streams.Interviews,
                streams.Candidates, streams.Users, entities.Offers, entities.Departments,
                entities.Offices, entities.RejectionReasons, entities.Scorecards,
                entities.Demographics]

    def error_detail(self, response: requests.Response) -> str:
        """Merge's ``detail``."""
        try:
            return str(response.json()["detail"])
        except (ValueError, KeyError, TypeError):
            return super().error_detail(response)

    def auth_hint(self, status: int) -> str:
        """Which Merge credential to check."""
        return ("Check setting 'api_key' (a Merge production API key) and that the account "
                "token is for a linked account that is still connected")

    def permission_hint(self, stream: str, path: str) -> str:
        """Merge enables Common Models per linked account; an integration may lack one."""
        model = MODELS.get(stream, stream)
        return (f"enable the {model} Common Model in this linked account's scopes (Merge "
                "dashboard), or the integration behind it does not offer it")


def unusable(details: dict) -> str | None:
    """Why a linked account that Merge knows cannot be read, from its ``status``, or None.

    ``RELINK_NEEDED``: its credentials to the ATS expired or were revoked; Merge keeps serving
    what it synced before, so a read would succeed on data that no longer changes, and the run
    would end as if the account were current. ``INCOMPLETE``: it never finished linking, so Merge
    holds nothing for it. ``COMPLETE`` and ``IDLE`` (valid credentials, merely unread for two
    weeks) are read; a status Merge adds later is read too rather than refused on a guess.
    """
    name = details.get("end_user_organization_name") or details.get("id")
    if details.get("integration"):
        name = f"{name} ({details['integration']})"
    where = f"Merge dashboard > Linked Accounts > {name}"
    match details.get("status"):
        case "RELINK_NEEDED":
            return ("linked account needs relinking (Merge status RELINK_NEEDED): its "
                    "credentials to the ATS expired or were revoked, so Merge stopped syncing "
                    f"it; have the end user relink it through Merge Link ({where} > Relink) "
                    "and run again")
        case "INCOMPLETE":
            return ("linked account never finished linking (Merge status INCOMPLETE), so Merge "
                    f"holds no data for it; have the end user complete Merge Link ({where}), or "
                    "remove its token from 'account_tokens'")
    return None


def related(value: t.Any) -> dict:
    """A related object as Merge gives it: expanded (a dict), an id only, or null."""
    if isinstance(value, dict):
        return value
    return {} if value is None else {"id": value}


def ids(values: t.Any) -> list[str]:
    """The ids of a list of related objects, expanded or not."""
    return [str(related(v)["id"]) for v in values or [] if related(v).get("id")]


def custom_fields(raw: dict) -> dict | None:
    """Merge's Field Mapping values: the targets the Merge customer defined, then the account's.

    Merge puts them in every Common Model response with no parameter (Professional and
    Enterprise plans); null when the linked account has no field mappings.
    """
    mappings = raw.get("field_mappings")
    if not isinstance(mappings, dict):
        return None
    return {**(mappings.get("organization_defined_targets") or {}),
            **(mappings.get("linked_account_defined_targets") or {})}


class MergeStream(ATSStream):
    """Base client: bearer key, account token, body cursor, repeated filters."""

    #: Related objects to receive whole in the same request (Merge's ``expand``), if any.
    expand: t.ClassVar[str | None] = None
    #: The columns ``expand`` fills and the models it reads, named when an account refuses it.
    expand_columns: t.ClassVar[str] = ""
    expand_models: t.ClassVar[str] = ""

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        #: Accounts that refused ``expand`` (403/404): read without it, those columns null.
        self._plain: set[str] = set()

    def without_optional(self, context: Context | None, exc: Refused | GiveUp) -> bool:
        """Read the account again without ``expand`` if a request that asked for it failed.

        Refused, the columns it fills stay null (a warning after the read); given up (an
        outage), they are null in this run only: the stream ends partial, its bookmark kept.
        """
        account = (context or {}).get("account_id", "")
        if not self.expand or account in self._plain:
            return False
        self._plain.add(account)
        if isinstance(exc, GiveUp):
            self.lookup_gave_up(context, f"{self.path}?expand={self.expand}",
                                self.expand_columns, exc)
        return True

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account; if it was read without ``expand``, say which columns stay null.

        The account's state partition gets its token's shard key first (``shard_key``, beside
        the bookmark, not in the context), for ``tap_ats_reshard`` to place it as the tap does.
        """
        if context:
            self.get_context_state(context)["shard_key"] = self.provider.shard_keys[
                context["account_id"]]
        yield from super().get_records(context)
        account = (context or {}).get("account_id", "")
        if account in self._plain and self.tap.report.stream(account, self.name).status == "ok":
            self.tap.report.refused_lookup(
                self.logger, account, self.name, f"{self.path}?expand={self.expand}",
                "was refused", self.expand_columns,
                f"enable the {self.expand_models} Common Model(s) in this linked account's "
                "scopes (Merge dashboard)")

    @property
    def provider(self) -> Merge:
        """The provider, typed."""
        return t.cast("Merge", self.tap.provider)

    @property
    def partitions(self) -> list[dict]:
        """One partition per linked account that Merge accepted."""
        return [{"account_id": account} for account in self.provider.resolve(self)]

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        """The API key as a bearer token (a header, never in the URL)."""
        return BearerTokenAuthenticator(token=self.config["api_key"])

    def get_new_paginator(self) -> BodyCursorPaginator:
        """Cursor in ``next``."""
        return BodyCursorPaginator(self.tap.provider.name, self.url_base, "next")

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """Add the token of the linked account being read."""
        request = super().get_http_request(page=page)
        request.headers["X-Account-Token"] = self.provider.resolve(self)[
            page.stream_context["account_id"]]
        return request

    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """The same filters on every page, plus the cursor after the first."""
        params: dict[str, t.Any] = {"page_size": self.page_size, "include_deleted_data": "true"}
        if (start := self.start_time(context)) is not None:
            params["modified_after"] = start.isoformat().replace("+00:00", "Z")
        if self.expand and (context or {}).get("account_id") not in self._plain:
            params["expand"] = self.expand
        if next_page_token:
            params["cursor"] = next_page_token
        return params

    def records_from(self, payload: dict) -> list[dict]:
        """Records in ``results``."""
        return payload["results"]

    @staticmethod
    def common(raw: dict) -> dict:
        """The common columns every Merge model has."""
        deleted = ts(raw.get("modified_at")) if raw.get("remote_was_deleted") else None
        return {"id": raw["id"], "remote_id": raw.get("remote_id"),
                "created_at": ts(raw.get("remote_created_at") or raw.get("created_at")),
                "updated_at": ts(raw.get("modified_at")), "deleted_at": deleted}
