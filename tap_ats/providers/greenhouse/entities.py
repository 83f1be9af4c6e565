"""The Greenhouse streams of the entities around the hiring flow, on :class:`GreenhouseStream`.

Offers, departments, offices, rejection reasons, sources, hiring teams, scorecards,
demographics and custom field definitions: mostly one list each, mapped row by row; the hiring
team reads two lists in turn, scorecards and custom field definitions read lookups per page.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlencode, urlsplit

from tap_ats.conform import ts
from tap_ats.paging import LinkPaginator
from tap_ats.providers.greenhouse.client import (
    GreenhouseStream,
    Prepared,
    Served,
    batches,
    custom_values,
    sid,
)
from tap_ats.providers.greenhouse.provider import rated

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer
    from tap_ats.providers.greenhouse.scratch import Rating

#: Offer statuses (lower-cased) beyond the open one, whose sending decides draft or sent.
OFFER_STATUS = {"accepted": "accepted", "rejected": "declined", "deprecated": "deprecated"}
OPEN_OFFER = ("created", "unresolved")
RECOMMENDATION = {"strong_yes": "strong_yes", "yes": "yes", "no": "no", "strong_no": "strong_no",
                  "definitely_not": "strong_no", "no_decision": "no_decision"}
#: Rejection reason types by ``type.key``, or ``type.name`` lower-cased with underscores.
REJECTION_TYPE = {"we_rejected_them": "we_rejected", "they_rejected_us": "candidate_withdrew"}
HIRING_ROLES = ("hiring_manager", "recruiter", "coordinator", "sourcer")
#: Custom field value types in the unified words, where they differ.
VALUE_TYPE = {"yes_no": "boolean"}
SELECTS = ("single_select", "multi_select")
#: The free-text fields of a scorecard, kept only with ``include_scorecard_notes``.
SCORECARD_NOTES = ("notes", "notes_with_tags", "private_notes", "private_notes_with_tags",
                   "public_notes", "public_notes_with_tags")


def common(raw: dict) -> dict:
    """The columns every Greenhouse record fills alike (v3 shows no deletes)."""
    return {"id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None}


def described(value: t.Any) -> t.Any:
    """An EEOC answer: v3's ``{id, description}`` as its description, anything else as it is."""
    return value.get("description") if isinstance(value, dict) else value


class Offers(GreenhouseStream):
    """``GET /v3/offers``: each version of an offer is its own row."""

    name = "offers"
    path = "/v3/offers"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse offer (v3, or v1's spellings) to the unified columns."""
        status = raw.get("status")
        key = str(status).lower() if status is not None else None
        sent = raw["sent_on"] if "sent_on" in raw else raw.get("sent_at")
        if key in OPEN_OFFER:
            unified = "sent" if sent else "draft"
        else:
            unified = OFFER_STATUS.get(key, "other") if key else None
        return {
            **common(raw), "application_id": sid(raw.get("application_id")),
            "job_id": sid(raw.get("job_id")), "candidate_id": sid(raw.get("candidate_id")),
            "status": unified, "status_raw": status, "version": raw.get("version"),
            "sent_at": ts(sent), "resolved_at": ts(raw.get("resolved_at")),
            "starts_at": ts(raw["starts_on"] if "starts_on" in raw else raw.get("starts_at")),
            "custom_fields": custom_values(raw.get("custom_fields")),
        }


class Departments(GreenhouseStream):
    """``GET /v3/departments``: a tree by ``parent_id``."""

    name = "departments"
    path = "/v3/departments"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse department to the unified columns."""
        return {**common(raw), "name": raw.get("name"), "parent_id": sid(raw.get("parent_id")),
                "external_id": raw.get("external_id")}


class Offices(GreenhouseStream):
    """``GET /v3/offices``: a tree by ``parent_id``."""

    name = "offices"
    path = "/v3/offices"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse office to the unified columns (v1's ``location.name`` read too)."""
        location = raw.get("location")
        return {**common(raw), "name": raw.get("name"), "parent_id": sid(raw.get("parent_id")),
                "location": location.get("name") if isinstance(location, dict) else location,
                "external_id": raw.get("external_id")}


class RejectionReasons(Served):
    """``GET /v3/rejection_reasons?include_defaults=true``: Greenhouse's defaults included."""

    name = "rejection_reasons"
    path = "/v3/rejection_reasons"

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        """Page 1 also asks for Greenhouse's default reasons (applications point at them)."""
        params = super().get_url_params(context, next_page_token)
        if next_page_token is None:
            params["include_defaults"] = "true"
        return params

    def map_record(self, raw: dict) -> dict:
        """Greenhouse rejection reason to the unified columns."""
        kind = raw.get("type")
        kind = kind if isinstance(kind, dict) else {"name": kind} if kind else {}
        words = str(kind.get("key") or kind.get("name") or "").strip().lower().replace(" ", "_")
        return {**common(raw), "name": raw.get("name"),
                "type": REJECTION_TYPE.get(words, "other") if words else None,
                "type_raw": kind.get("name") or kind.get("key")}


class Sources(Served):
    """``GET /v3/sources``: ``type`` is the sourcing strategy's name."""

    name = "sources"
    path = "/v3/sources"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse source to the unified columns."""
        kind = raw.get("type")
        return {**common(raw), "name": raw.get("name"),
                "type": kind.get("name") if isinstance(kind, dict) else kind}


class ListsInTurn(LinkPaginator):
    """Link-header pages of one list, then page 1 of the stream's next list, and so on."""

    def __init__(self, stream: JobHiringTeam) -> None:
        super().__init__()
        self.stream = stream

    def get_next_url(self, response: Answer) -> str | None:  # type: ignore[override]
        """The next page of this list, else the first of the next list, else None."""
        return super().get_next_url(response) or self.stream.next_list()


class JobHiringTeam(GreenhouseStream):
    """``/v3/job_hiring_managers`` then ``/v3/job_owners``: one row per person and role on a job.

    Both lists are read in one window, as one stream: the last page of the first leads to the
    first page of the second. ``path`` is the list being read, so that a refusal of either
    skips the stream (bookmark kept) rather than the account.
    """

    name = "job_hiring_team"
    LISTS = ("/v3/job_hiring_managers", "/v3/job_owners")
    _list = 0
    #: Whether the page being mapped is of the hiring managers' list (it carries no role).
    _managers = True

    @property
    def path(self) -> str:  # type: ignore[override]
        """The list being read."""
        return self.LISTS[self._list]

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account, from its first list."""
        self._list = 0
        yield from super().get_records(context)

    def get_new_paginator(self) -> ListsInTurn:
        """Pages of each list in turn."""
        return ListsInTurn(self)

    def next_list(self) -> str | None:
        """Page 1 of the next list (its size and the same window), or None after the last."""
        if self._list + 1 >= len(self.LISTS):
            return None
        self._list += 1
        params = self.get_url_params(self._account, None)
        return f"{self.url_base}{self.path}?{urlencode(params)}"

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Note which list the page is of, then map it."""
        self._managers = urlsplit(answer.response.request.url).path.endswith(self.LISTS[0])
        yield from super().parse_page(answer)

    def map_record(self, raw: dict) -> dict:
        """A hiring manager or job owner row to the unified columns.

        The id is ``<job_id>:<user_id>:<role>`` when all three are given; a row missing any of
        them (an owner's ``type`` can be null) is ``<list>:<its own id>`` instead, so that two
        such rows of one person on one job never share an id.
        """
        role_raw = "hiring_manager" if self._managers else raw.get("type")
        role = role_raw if role_raw in HIRING_ROLES else "other"
        job_id, user_id = sid(raw.get("job_id")), sid(raw.get("user_id"))
        key = f"{job_id}:{user_id}:{role_raw}" if job_id and user_id and role_raw else \
            f"{self.LISTS[not self._managers].rsplit('/', 1)[-1]}:{raw['id']}"
        return {**common(raw), "id": key, "job_id": job_id, "user_id": user_id, "role": role,
                "role_raw": role_raw}


class Scorecards(Prepared):
    """``GET /v3/scorecards``, with interview ids from the panels and ratings by scorecard.

    A rating row need not change with its scorecard, so ratings are never read by window. A
    read without a bookmark (a first sync, FULL_TABLE) holds most scorecards: their ratings
    come from one read of the whole list (``ceil(ratings / 500)`` requests, indexed as small
    pairs by scorecard id). With a bookmark the window holds the few that changed: their
    ratings are read by ``scorecard_ids``, 50 a request.
    """

    name = "scorecards"
    path = "/v3/scorecards"
    RATINGS = "/v3/scorecard_candidate_attributes"
    #: The interview id of each scorecard of the page (None: panels refused or gave up).
    _interviews: dict[str, str] | None = None
    _ratings: dict[str, list[dict]] | None = None
    #: Whether the account's read has no bookmark, so that its ratings are read whole.
    _whole = True

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account; its ratings whole unless it has a bookmark."""
        self._whole = (self.replication_method != "INCREMENTAL"
                       or "replication_key_value" not in self.get_context_state(context))
        yield from super().get_records(context)

    def prepare(self, rows: list[dict]) -> None:
        """The interviews and the ratings of this page's scorecards (panels read once per run)."""
        cards = [str(row["id"]) for row in rows if "id" in row]
        panels = self.provider.panels(self, self._account)
        self._interviews = None if panels is None else panels.interviews_of(cards)
        found = self.provider.ratings(self, self._account, cards) if self._whole \
            else self._read_ratings(cards)
        self._ratings = None if found is None else self._named(found, cards)

    def _read_ratings(self, cards: list[str]) -> dict[str, list[Rating]] | None:
        """The ratings of ``cards``, 50 scorecards a request (None: refused or gave up)."""
        context = self._account
        if self.provider.refused(context, self.RATINGS):
            return None
        found: list[dict] = []
        for batch in batches(cards):
            rows = self.provider.lookup(self, self.RATINGS, context,
                                        {"scorecard_ids": ",".join(batch)})
            if rows is None:
                return None
            found += rows
        return rated(found)

    def _named(self, found: dict[str, list[Rating]], cards: list[str]) -> dict[str, list[dict]]:
        """``[{name, rating}]`` of each of ``cards``, named from the job's attributes."""
        mine = {card: found[card] for card in cards if card in found}
        ids = sorted({str(a) for pairs in mine.values() for a, _ in pairs if a is not None})
        names = self.provider.named(self, "/v3/job_candidate_attributes", self._account,
                                    ids) if mine else {}
        return {card: [{"name": None if names is None or attribute is None
                        else names.get(str(attribute), (None,))[0], "rating": rating}
                       for attribute, rating in pairs] for card, pairs in mine.items()}

    def map_record(self, raw: dict) -> dict:
        """Greenhouse scorecard to the unified columns; notes only when asked for."""
        verdict = raw["candidate_rating"] if "candidate_rating" in raw \
            else raw.get("overall_recommendation")
        notes = raw.get("notes")
        if not self.tap.include_scorecard_notes:
            notes = None
            for key in SCORECARD_NOTES:
                raw.pop(key, None)
        card = str(raw["id"])
        return {
            **common(raw), "application_id": sid(raw.get("application_id")),
            "candidate_id": sid(raw.get("candidate_id")), "job_id": sid(raw.get("job_id")),
            "interview_id": sid(raw.get("interview_id")) or (
                self._interviews.get(card) if self._interviews is not None else None),
            "interviewer_id": sid(raw.get("interviewer_id")),
            "submitted_at": ts(raw.get("submitted_at")),
            "overall_recommendation": None if verdict is None
            else RECOMMENDATION.get(str(verdict).lower(), "other"),
            "overall_recommendation_raw": verdict,
            "ratings": None if self._ratings is None else self._ratings.get(card, []),
            "notes": notes,
        }


class Demographics(GreenhouseStream):
    """``GET /v3/eeoc``: row-level EEOC answers, off unless selected."""

    name = "demographics"
    path = "/v3/eeoc"
    selected_by_default = False

    def map_record(self, raw: dict) -> dict:
        """Greenhouse EEOC answers to the unified columns (each answer's description)."""
        return {
            **common(raw), "application_id": sid(raw.get("application_id")),
            "candidate_id": sid(raw.get("candidate_id")), "race": described(raw.get("race")),
            "gender": described(raw.get("gender")),
            "veteran_status": described(raw.get("veteran_status")),
            "disability_status": described(raw.get("disability_status")),
            "submitted_at": ts(raw.get("submitted_at")),
        }


class CustomFieldDefinitions(Prepared):
    """``GET /v3/custom_fields``, with the choices of select fields from their options."""

    name = "custom_field_definitions"
    path = "/v3/custom_fields"
    _options: dict[str, list[str]] | None = None

    def prepare(self, rows: list[dict]) -> None:
        """The account's custom field options, read once per run, by field id."""
        if all("custom_field_options" in row for row in rows):
            return
        options = self.provider.by_id(self, "/v3/custom_field_options", self._account)
        if options is None:
            self._options = None
            return
        self._options = {}
        for option in sorted(options.values(), key=lambda o: (
                o.get("sort_order") is None, o.get("sort_order"), o["id"])):
            if option.get("active") is not False and option.get("name") is not None:
                self._options.setdefault(str(option.get("custom_field_id")), []).append(
                    str(option["name"]))

    def map_record(self, raw: dict) -> dict:
        """Greenhouse custom field definition to the unified columns."""
        value_type = raw.get("value_type")
        if "custom_field_options" in raw:  # v1 lists the choices inline
            options = [str(o["name"]) for o in raw["custom_field_options"] or []
                       if isinstance(o, dict) and o.get("name") is not None]
        elif value_type not in SELECTS:
            options = []
        else:
            options = None if self._options is None else self._options.get(str(raw["id"]), [])
        return {
            **common(raw), "name": raw.get("name"), "key": raw.get("name_key"),
            "object_type": raw.get("field_type"),
            "field_type": VALUE_TYPE.get(value_type, value_type), "options": options,
            "active": raw.get("active"),
        }
