"""Merge's ATS API (``/api/ats/v1/...``), many linked accounts in one run.

- Auth: ``Authorization: Bearer <api_key>`` plus ``X-Account-Token`` per linked account. Each token
  in ``account_tokens`` is one account; at start the tap asks ``GET /ats/v1/account-details`` which
  linked account it is, and that id (never the token) is the record's ``account_id``, the
  state partition and what ``account_shard`` splits by (``Merge.resolve`` says at what cost).
  The tokens stay in memory only: not in state, records, logs or URLs.
- A token that is refused (401, 403, 404) or whose account keeps failing (5xx after retries) is
  reported as "account token #N" and left out; the other accounts are read and the run exits 3
  at the end. A refused ``api_key`` fails every token and ends the run on one line. A host that
  cannot be reached at all ends the run at once: every token would meet the same host.
- Pages: ``page_size=100`` (Merge's maximum; its default is 30) and ``cursor`` from ``next``;
  Merge wants the same filters on every page, so every request repeats them.
- Names in the same request: applications ask ``expand=current_stage,reject_reason``, so
  ``current_stage_name`` (and the observed rows' ``stage_name``) and ``rejection_reason`` (the
  RejectReason's name) come with the page; interviews ask ``expand=application`` for their
  ``job_id``. No extra request; the id columns still hold the related objects' ids. Merge's
  ScheduledInterview has no title, and its Job no open/close dates: those stay null.
- Users: ``/users`` (RemoteUser), incremental like every stream; ``active`` is ``not disabled``;
  its ids are the ``organizer_id`` and ``interviewer_ids`` of interviews.
- Columns: ``created_at`` is the ATS's ``remote_created_at`` where the model has one, else
  Merge's ``created_at`` (when Merge first saw the record); ``updated_at`` is ``modified_at``.
  Applications are ``rejected`` when ``rejected_at`` is set, else ``active``: Merge gives no
  hire flag on an application. Interview ``status`` maps Merge's three values and a passed-
  through cancellation; any other passed-through value is ``other`` (kept in ``status_raw``).
- Incremental: ``modified_after`` filters on ``modified_at``, the time *Merge* last changed its
  copy (its sync time, not the ATS's), so the next bookmark is the time that account's read
  started (Merge's own guidance), less ``lookback_window`` on the next run.
- Deletes: ``include_deleted_data=true`` always; ``remote_was_deleted`` becomes ``deleted_at`` (the
  record's ``modified_at``) and ``_sdc_deleted_at``.
- Stage history: Merge exposes only ``current_stage``, so ``application_stages`` rows are observed
  from each application read (``origin=observed``), at no request's cost.
- Analytics streams: ``/offers`` and ``/scorecards`` (with ``expand=application`` for their job
  and candidate), ``/departments``, ``/offices``, ``/reject-reasons`` and ``/eeocs``
  (demographics, opt-in) are read like every list; ``sources`` (hash of the application's
  ``source`` string: Merge has no Source model) and ``job_hiring_team`` (the Job's
  ``hiring_managers`` and ``recruiters``) are derived at no request's cost. What Merge's models
  lack stays null: offer version, department and office parents and codes, reject reason type,
  scorecard ratings and notes, the application of an EEOC (Merge ties it to a candidate).
  Offer statuses: Merge does not define them; the mapping (approval states are drafts, OPENED
  and SENT-MANUALLY are sent, DENIED is declined) is the careful reading, ``status_raw`` keeps it.
- Custom fields: Merge Field Mapping values, in every response without a parameter
  (``field_mappings``: organization targets, then the linked account's, which win on a clash).
  Merge's ``/field-mappings`` describes mappings, not the ATS's field definitions, so
  ``custom_field_definitions`` is not offered.
- Rate limit: per linked account per minute (Launch 100, Professional 400, Enterprise 600):
  ``max_requests_per_minute`` (default 100) paces each account, its account-details lookup
  included; accounts are read concurrently (``max_concurrency``), and a 429 waits
  ``Retry-After`` when given, else backs off.
"""

from __future__ import annotations

import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

import requests
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import FatalAPIError, FatalSyncError

from tap_ats.client import ATSStream
from tap_ats.conform import ts
from tap_ats.derived import DerivedStream, DistinctDerived, ObservedStages, name_id
from tap_ats.http import Refused
from tap_ats.paging import BodyCursorPaginator
from tap_ats.provider import Provider

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

JOB_STATUS = {"OPEN": "open", "CLOSED": "closed", "DRAFT": "draft", "ARCHIVED": "archived"}
#: Merge's Common Model behind each stream, as its scopes and the README name them (the
#: derived streams name the model they are read from).
MODELS = {"applications": "Application", "jobs": "Job", "job_stages": "JobInterviewStage",
          "interviews": "ScheduledInterview", "candidates": "Candidate", "users": "RemoteUser",
          "offers": "Offer", "departments": "Department", "offices": "Office",
          "rejection_reasons": "RejectReason", "scorecards": "Scorecard", "demographics": "EEOC",
          "sources": "Application", "job_hiring_team": "Job"}
#: Merge's three values, plus the cancellations it passes through from ATSs it cannot map.
INTERVIEW_STATUS = {"SCHEDULED": "scheduled", "AWAITING_FEEDBACK": "awaiting_feedback",
                    "COMPLETE": "complete", "CANCELED": "canceled", "CANCELLED": "canceled"}
#: OfferStatusEnum: before the candidate has it (drafted, in or through approval) is draft;
#: sent by the ATS, by hand, or opened is sent; SIGNED is accepted; DENIED is declined.
OFFER_STATUS = {"DRAFT": "draft", "APPROVAL-SENT": "draft", "APPROVED": "draft", "SENT": "sent",
                "SENT-MANUALLY": "sent", "OPENED": "sent", "SIGNED": "accepted",
                "DENIED": "declined", "DEPRECATED": "deprecated"}
#: OverallRecommendationEnum; DEFINITELY_NO is the strongest no.
RECOMMENDATION = {"STRONG_YES": "strong_yes", "YES": "yes", "NO": "no",
                  "DEFINITELY_NO": "strong_no", "NO_DECISION": "no_decision"}
#: The Job's arrays of RemoteUser ids, each with its hiring-team role.
HIRING_ROLES = {"hiring_managers": "hiring_manager", "recruiters": "recruiter"}


class Merge(Provider):
    """Merge: one account per linked-account token."""

    name = "merge"
    default_url = "https://api.merge.dev/api"
    max_page_size = 100
    required = ("api_key", "account_tokens")
    shared_credentials = False
    default_requests_per_minute = 100

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        super().__init__(config)
        self._tokens: dict[str, str] | None = None
        # Not the base's lock: resolving sends requests, and pacing them takes that one.
        self._resolve_lock = threading.Lock()

    def resolve(self, stream: MergeStream) -> dict[str, str]:
        """Linked-account id → token for this run's accounts, asked once per run.

        Every token is looked up (``GET /account-details``, through ``stream``'s retrying client,
        ``max_concurrency`` at a time), and only the accounts of ``account_shard`` are kept:
        shards split by the linked-account id itself, so an account stays in its shard (and
        keeps its bookmarks) when its token is rotated. The price: each shard asks about every
        token, one small request per token per shard per run, within that account's own budget.
        A token Merge refuses, or whose account stays unreachable, is reported by its position
        in ``account_tokens`` (never by value), by the one shard its token hashes to, and left
        out. Once the linked account is known, the lookup's pacer becomes the account's, so
        the lookup counts against the same per-account budget as the reads that follow.
        """
        with self._resolve_lock:
            if self._tokens is None:
                self._tokens = self._lookup(stream)
            return self._tokens

    def _lookup(self, stream: MergeStream) -> dict[str, str]:
        tokens = list(self.config["account_tokens"])
        workers = max(1, int(self.config.get("max_concurrency") or 4))
        with ThreadPoolExecutor(workers, thread_name_prefix="account-details") as pool:
            found = list(pool.map(lambda n: self._account_of(stream, n, tokens[n - 1]),
                                  range(1, len(tokens) + 1)))
        resolved = {account: token for (account, _), token in zip(found, tokens, strict=True)
                    if account is not None}
        errors = {f"account token #{n}": (error, token)
                  for n, ((_, error), token) in enumerate(zip(found, tokens, strict=True), 1)
                  if error is not None}
        if not resolved:
            msg = "no Merge account could be read: " + "; ".join(
                f"{label}: {error}" for label, (error, _) in errors.items())
            raise FatalSyncError(msg)
        self.failures.update({label: error for label, (error, token) in errors.items()
                              if self.shard.holds(token)})
        return {account: token for account, token in resolved.items()
                if self.shard.holds(account)}

    def _account_of(self, stream: MergeStream, number: int,
                    token: str) -> tuple[str | None, str | None]:
        """(linked-account id, None) for one token, or (None, why it failed)."""
        label = f"account token #{number}"
        request = stream.build_prepared_request(
            method="GET", url=f"{self.api_url}/ats/v1/account-details",
            headers={"X-Account-Token": token})
        try:
            account = str(stream.send(request, {"account_id": label}).body["id"])
        except FatalAPIError as exc:
            return None, str(exc)
        except (KeyError, TypeError) as exc:
            return None, f"account-details without an id ({exc!r})"
        with self._lock:
            if label in self._pacers:
                self._pacers[account] = self._pacers.pop(label)
        stream.tap.report.rename(label, account)
        return account, None

    def stream_classes(self) -> list[type]:
        """Everything but candidate_history and custom_field_definitions (see the docstring)."""
        return [Applications, MergeApplicationStages, Sources, Jobs, JobHiringTeam, JobStages,
                Interviews, Candidates, Users, Offers, Departments, Offices, RejectionReasons,
                Scorecards, Demographics]

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

    def without_optional(self, context: Context | None, exc: Refused) -> bool:
        """Read the account again without ``expand`` if a request that asked for it was refused."""
        account = (context or {}).get("account_id", "")
        if not self.expand or account in self._plain:
            return False
        self._plain.add(account)
        return True

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account; if it was read without ``expand``, say which columns stay null."""
        yield from super().get_records(context)
        account = (context or {}).get("account_id", "")
        outcome = self.tap.report.stream(account, self.name)
        if account in self._plain and outcome.status == "ok":
            outcome.refused_lookups.append(f"{self.path}?expand={self.expand}")
            self.logger.warning(
                "Account %s: %s with expand=%s was refused, so %s stay null (the stream itself "
                "was read without it). To fill them, enable the %s Common Model(s) in this "
                "linked account's scopes (Merge dashboard)", account, self.path, self.expand,
                self.expand_columns, self.expand_models)

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


class Applications(MergeStream):
    """``GET /ats/v1/applications``; feeds the observed ``application_stages``."""

    name = "applications"
    path = "/ats/v1/applications"
    expand = "current_stage,reject_reason"
    expand_columns = ("applications.current_stage_name, applications.rejection_reason and "
                      "application_stages.stage_name")
    expand_models = "JobInterviewStage and RejectReason"

    def map_record(self, raw: dict) -> dict:
        """Merge application to the unified columns (status: rejected_at is all Merge gives)."""
        rejected = raw.get("rejected_at")
        stage = related(raw.get("current_stage"))
        return {**self.common(raw), "candidate_id": raw.get("candidate"),
                "job_id": raw.get("job"), "current_stage_id": stage.get("id"),
                "current_stage_name": stage.get("name"),
                "status": "rejected" if rejected else "active",
                "status_raw": None, "applied_at": ts(raw.get("applied_at")),
                "rejected_at": ts(rejected),
                "rejection_reason": related(raw.get("reject_reason")).get("name"),
                "source": raw.get("source"),
                "source_id": name_id(raw["source"]) if raw.get("source") else None,
                "rejection_reason_id": related(raw.get("reject_reason")).get("id"),
                "custom_fields": custom_fields(raw)}


class MergeApplicationStages(ObservedStages):
    """Observed stage rows, one per application read."""

    parent_stream_type = Applications


class Sources(DistinctDerived):
    """The distinct ``source`` strings of the applications read: Merge has no Source model.

    The id is :func:`name_id` of the name, as ``applications.source_id`` holds it; Merge gives
    no source type, object or times, so those stay null.
    """

    name = "sources"
    parent_stream_type = Applications

    def derive_all(self, parent_record: dict) -> list[dict]:
        """The source the application names, if any."""
        app = parent_record
        if not app.get("source_id"):
            return []
        return [{"provider": app["provider"], "account_id": app["account_id"],
                 "id": app["source_id"], "remote_id": None, "created_at": None,
                 "updated_at": None, "deleted_at": None, "_sdc_deleted_at": None,
                 "name": app["source"], "type": None, "raw": None}]


class Jobs(MergeStream):
    """``GET /ats/v1/jobs`` (stages are the separate ``job_stages`` stream)."""

    name = "jobs"
    path = "/ats/v1/jobs"

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        #: Job id -> (user id, role) of the jobs mapped but not yet handed to job_hiring_team.
        self.teams: dict[str, list[tuple[str, str]]] = {}

    def map_record(self, raw: dict) -> dict:
        """Merge job to the unified columns; keep its hiring team if that stream is selected."""
        if any(child.selected for child in self.child_streams):
            self.teams[str(raw["id"])] = [(user, role) for key, role in HIRING_ROLES.items()
                                          for user in ids(raw.get(key))]
        status = raw.get("status")
        return {**self.common(raw), "name": raw.get("name"), "code": raw.get("code"),
                "status": JOB_STATUS.get(status, "other"), "status_raw": status,
                "opened_at": None, "closed_at": None, "stages": None,
                "department_ids": ids(raw.get("departments")),
                "office_ids": ids(raw.get("offices")), "custom_fields": custom_fields(raw)}


class JobHiringTeam(DerivedStream):
    """One row per user and role in a job's ``hiring_managers`` and ``recruiters``.

    Merge's Job names no coordinators or sourcers. A row carries its job's times and deletion:
    it is as current as the job it was read with. A person taken off a team stays in the
    warehouse until the job is deleted (Merge signals no change to the arrays).
    """

    name = "job_hiring_team"
    parent_stream_type = Jobs

    def derive(self, parent_record: dict) -> list[dict]:
        """The team the job was read with."""
        job = parent_record
        team = self._tap.streams[Jobs.name].teams.pop(job["id"], [])
        return [{"provider": job["provider"], "account_id": job["account_id"],
                 "id": f"{job['id']}:{user}:{role}", "remote_id": None,
                 "created_at": job["created_at"], "updated_at": job["updated_at"],
                 "deleted_at": job["deleted_at"], "_sdc_deleted_at": job["deleted_at"],
                 "job_id": job["id"], "user_id": user, "role": role, "role_raw": role,
                 "raw": None} for user, role in team]


class JobStages(MergeStream):
    """``GET /ats/v1/job-interview-stages``."""

    name = "job_stages"
    path = "/ats/v1/job-interview-stages"

    def map_record(self, raw: dict) -> dict:
        """Merge job interview stage to the unified columns."""
        return {**self.common(raw), "job_id": raw.get("job"), "name": raw.get("name"),
                "order": raw.get("stage_order"), "active": None}


class Interviews(MergeStream):
    """``GET /ats/v1/interviews`` (ScheduledInterview)."""

    name = "interviews"
    path = "/ats/v1/interviews"
    expand = "application"
    expand_columns = "interviews.job_id"
    expand_models = "Application"

    def map_record(self, raw: dict) -> dict:
        """Merge scheduled interview to the unified columns."""
        status = raw.get("status")
        application = related(raw.get("application"))
        return {**self.common(raw), "application_id": application.get("id"),
                "job_id": application.get("job"),
                "stage_id": raw.get("job_interview_stage"), "title": None,
                "status": INTERVIEW_STATUS.get(status.upper(), "other") if status else None,
                "status_raw": status, "start_at": ts(raw.get("start_at")),
                "end_at": ts(raw.get("end_at")), "location": raw.get("location"),
                "organizer_id": raw.get("organizer"),
                "interviewer_ids": list(raw.get("interviewers") or [])}


class Candidates(MergeStream):
    """``GET /ats/v1/candidates``."""

    name = "candidates"
    path = "/ats/v1/candidates"

    def map_record(self, raw: dict) -> dict:
        """Merge candidate to the unified columns."""
        return {**self.common(raw), "first_name": raw.get("first_name"),
                "last_name": raw.get("last_name"),
                "emails": [e["value"] for e in raw.get("email_addresses") or []],
                "phones": [p["value"] for p in raw.get("phone_numbers") or []],
                "company": raw.get("company"), "title": raw.get("title"),
                "tags": [str(tag) for tag in raw.get("tags") or []],
                "custom_fields": custom_fields(raw)}


class Users(MergeStream):
    """``GET /ats/v1/users`` (RemoteUser): organizers and interviewers by id."""

    name = "users"
    path = "/ats/v1/users"

    def map_record(self, raw: dict) -> dict:
        """Merge remote user to the unified columns."""
        name = " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p) or None
        disabled = raw.get("disabled")
        return {**self.common(raw), "name": name, "email": raw.get("email"),
                "active": None if disabled is None else not disabled}


class Offers(MergeStream):
    """``GET /ats/v1/offers``; ``expand=application`` gives the job and candidate of each offer.

    Merge's Offer has no version (null) and one ``closed_at``, the unified ``resolved_at``.
    """

    name = "offers"
    path = "/ats/v1/offers"
    expand = "application"
    expand_columns = "offers.job_id and offers.candidate_id"
    expand_models = "Application"

    def map_record(self, raw: dict) -> dict:
        """Merge offer to the unified columns."""
        status = raw.get("status")
        application = related(raw.get("application"))
        return {**self.common(raw), "application_id": application.get("id"),
                "job_id": application.get("job"), "candidate_id": application.get("candidate"),
                "status": OFFER_STATUS.get(status, "other") if status else None,
                "status_raw": status, "version": None, "sent_at": ts(raw.get("sent_at")),
                "resolved_at": ts(raw.get("closed_at")), "starts_at": ts(raw.get("start_date")),
                "custom_fields": custom_fields(raw)}


class Departments(MergeStream):
    """``GET /ats/v1/departments``: a name only (no parent, no code of the customer's)."""

    name = "departments"
    path = "/ats/v1/departments"

    def map_record(self, raw: dict) -> dict:
        """Merge department to the unified columns."""
        return {**self.common(raw), "name": raw.get("name"), "parent_id": None,
                "external_id": None}


class Offices(MergeStream):
    """``GET /ats/v1/offices``: a name and a location string (no parent, no own code)."""

    name = "offices"
    path = "/ats/v1/offices"

    def map_record(self, raw: dict) -> dict:
        """Merge office to the unified columns."""
        return {**self.common(raw), "name": raw.get("name"), "parent_id": None,
                "location": raw.get("location"), "external_id": None}


class RejectionReasons(MergeStream):
    """``GET /ats/v1/reject-reasons``: Merge's RejectReason has a name only, so ``type`` is null.

    Guessing "we rejected" or "they withdrew" from a name would be invented data.
    """

    name = "rejection_reasons"
    path = "/ats/v1/reject-reasons"

    def map_record(self, raw: dict) -> dict:
        """Merge reject reason to the unified columns."""
        return {**self.common(raw), "name": raw.get("name"), "type": None, "type_raw": None}


class Scorecards(MergeStream):
    """``GET /ats/v1/scorecards``; ``expand=application`` gives each one's job and candidate.

    Merge's Scorecard has an overall recommendation only: no per-attribute ratings and no
    free text, so ``ratings`` and ``notes`` stay null whatever ``include_scorecard_notes`` says.
    """

    name = "scorecards"
    path = "/ats/v1/scorecards"
    expand = "application"
    expand_columns = "scorecards.job_id and scorecards.candidate_id"
    expand_models = "Application"

    def map_record(self, raw: dict) -> dict:
        """Merge scorecard to the unified columns."""
        recommendation = raw.get("overall_recommendation")
        application = related(raw.get("application"))
        return {**self.common(raw), "application_id": application.get("id"),
                "candidate_id": application.get("candidate"), "job_id": application.get("job"),
                "interview_id": related(raw.get("interview")).get("id"),
                "interviewer_id": related(raw.get("interviewer")).get("id"),
                "submitted_at": ts(raw.get("submitted_at")),
                "overall_recommendation": RECOMMENDATION.get(recommendation, "other")
                if recommendation else None,
                "overall_recommendation_raw": recommendation, "ratings": None, "notes": None}


class Demographics(MergeStream):
    """``GET /ats/v1/eeocs``: sensitive, so only read when selected; values are never logged.

    Merge's EEOC belongs to a candidate, not an application: ``application_id`` is null (a
    candidate may have applied to several jobs; joining on ``candidate_id`` is the honest link).
    The answers are Merge's enum names as given.
    """

    name = "demographics"
    path = "/ats/v1/eeocs"
    selected_by_default = False

    def map_record(self, raw: dict) -> dict:
        """Merge EEOC to the unified columns."""
        return {**self.common(raw), "application_id": None,
                "candidate_id": related(raw.get("candidate")).get("id"),
                "race": raw.get("race"), "gender": raw.get("gender"),
                "veteran_status": raw.get("veteran_status"),
                "disability_status": raw.get("disability_status"),
                "submitted_at": ts(raw.get("submitted_at"))}
