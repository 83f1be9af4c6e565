"""Greenhouse Harvest v3's published examples as fixtures: the tap's mapping, the sandbox's shape.

Each fixture in ``tests/fixtures/greenhouse/`` follows one v3 reference page (named in its
``source``): the keys and types are Greenhouse's, the values ours. The tap maps each to the row
written here by hand; the sandbox answers every endpoint with the same keys and types; the
README's table of column sources names only paths the examples show (or lists as not shown).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
from examples import differences, fixture, has_path, readme_paths, shape

from tap_ats.conform import utc_now
from tap_ats.providers.greenhouse.provider import LOOKUP_COLUMNS, StageIndex
from tap_ats.providers.greenhouse.streams import stage_ids
from tap_ats.tap import TapATS

CONFIG = {"provider": "greenhouse", "client_id": "c", "client_secret": "s", "user_id": "1",
          "api_url": "http://127.0.0.1:9/greenhouse", "token_url": "http://127.0.0.1:9/token"}
#: Every endpoint the tap reads: the streams' lists and the lookups that complete them.
ENDPOINTS = ["applications", "rejection_details", "application_stages", "jobs",
             "job_interview_stages", "interviews", "interviewers", "job_interviews", "candidates",
             "users", "offers", "departments", "offices", "sources", "rejection_reasons",
             "job_hiring_managers", "job_owners",
             "scorecards", "scorecard_candidate_attributes", "job_candidate_attributes", "eeoc",
             "custom_fields", "custom_field_options"]
#: Stream -> the endpoint its rows come from.
STREAMS = {"applications": "applications", "application_stages": "application_stages",
           "jobs": "jobs", "job_stages": "job_interview_stages", "interviews": "interviews",
           "candidates": "candidates", "users": "users", "offers": "offers",
           "departments": "departments", "offices": "offices", "sources": "sources",
           "rejection_reasons": "rejection_reasons", "job_hiring_team": "job_owners",
           "scorecards": "scorecards", "demographics": "eeoc",
           "custom_field_definitions": "custom_fields"}
T1, T2, T3 = "2026-03-02T09:15:00.000Z", "2026-03-09T16:40:00.000Z", "2026-03-21T11:05:00.000Z"
CUSTOM = {"employment_type": "Full-time", "remote_ok": True, "headcount_budget": 2,
          "start_note": None}


def common(id_: str, created: str, updated: str) -> dict[str, Any]:
    return {"id": id_, "remote_id": None, "created_at": created, "updated_at": updated,
            "deleted_at": None}


#: (stream, endpoint, record index) -> the unified row, by hand.
EXPECTED: dict[tuple[str, str, int], dict[str, Any]] = {
    ("applications", "applications", 0): {
        **common("20101", T1, T3), "candidate_id": "10101", "job_id": "4101",
        "current_stage_id": "5102", "current_stage_name": "Phone Screen", "status": "active",
        "status_raw": "in_process", "applied_at": T1, "rejected_at": None,
        "rejection_reason": None, "source": "Employee referral", "source_id": "72101",
        "rejection_reason_id": None, "custom_fields": CUSTOM},
    ("applications", "applications", 1): {
        **common("20102", T1, T3), "candidate_id": "10102", "job_id": "4101",
        "current_stage_id": "5101", "current_stage_name": "Application Review",
        "status": "rejected", "status_raw": "rejected", "applied_at": T1, "rejected_at": T3,
        "rejection_reason": "Took another offer", "source": None, "source_id": None,
        "rejection_reason_id": "73101", "custom_fields": {}},
    ("application_stages", "application_stages", 0): {
        **common("30101", T1, T2), "application_id": "20101", "job_id": "4101",
        "candidate_id": None, "stage_id": "5101", "stage_name": "Application Review",
        "entered_at": None, "exited_at": None, "is_current": False, "origin": "native",
        "observed_at": None},
    ("application_stages", "application_stages", 1): {
        **common("30102", T2, T2), "application_id": "20101", "job_id": "4101",
        "candidate_id": None, "stage_id": "5102", "stage_name": "Phone Screen",
        "entered_at": T2, "exited_at": None, "is_current": True, "origin": "native",
        "observed_at": None},
    ("jobs", "jobs", 0): {
        **common("4101", T1, T2), "name": "Data Engineer", "code": "REQ-0042",
        "status": "open", "status_raw": "open", "opened_at": T1, "closed_at": None,
        "stages": [{"id": "5101", "name": "Application Review", "order": 0, "active": True},
                   {"id": "5102", "name": "Phone Screen", "order": 1, "active": True}],
        "department_ids": ["70101"], "office_ids": ["71101", "71102"], "custom_fields": CUSTOM},
    ("job_stages", "job_interview_stages", 1): {
        **common("5102", T1, T1), "job_id": "4101", "name": "Phone Screen", "order": 1,
        "active": True},
    ("interviews", "interviews", 0): {
        **common("40101", T3, T3), "application_id": "20101", "job_id": "4101",
        "stage_id": "5102", "title": "Hiring manager call", "status": "scheduled",
        "status_raw": "scheduled", "start_at": "2026-03-24T14:00:00.000Z",
        "end_at": "2026-03-24T14:45:00.000Z", "location": "Room 3", "organizer_id": "1101",
        "interviewer_ids": ["1102", "1103"]},
    ("candidates", "candidates", 0): {
        **common("10101", T1, T3), "first_name": "Maya", "last_name": "Okafor",
        "emails": ["maya@example.com"], "phones": ["+49 30 5550101"], "company": "Northwind",
        "title": "Analyst", "tags": ["python", "referral"], "custom_fields": CUSTOM},
    ("users", "users", 0): {
        **common("1101", T1, T2), "name": "Sam Lee", "email": "sam.lee@example.com",
        "active": True},
    ("offers", "offers", 0): {
        **common("75101", T3, "2026-03-30T10:00:00.000Z"), "application_id": "20101",
        "job_id": "4101", "candidate_id": "10101", "status": "accepted",
        "status_raw": "Accepted", "version": 2, "sent_at": "2026-03-28T00:00:00Z",
        "resolved_at": "2026-03-30T10:00:00.000Z", "starts_at": "2026-05-01T00:00:00Z",
        "custom_fields": CUSTOM},
    ("departments", "departments", 0): {
        **common("70101", T1, T1), "name": "Data", "parent_id": "70100", "external_id": "D-7"},
    ("offices", "offices", 0): {
        **common("71101", T1, T1), "name": "Berlin", "parent_id": None,
        "location": "Berlin, Germany", "external_id": "O-1"},
    ("sources", "sources", 0): {
        **common("72101", T1, T1), "name": "Employee referral", "type": "Referral"},
    ("rejection_reasons", "rejection_reasons", 0): {
        **common("73101", T1, T1), "name": "Took another offer", "type": "candidate_withdrew",
        "type_raw": "They rejected us"},
    ("job_hiring_team", "job_hiring_managers", 0): {
        **common("4101:1102:hiring_manager", T1, T1), "job_id": "4101", "user_id": "1102",
        "role": "hiring_manager", "role_raw": "hiring_manager"},
    ("job_hiring_team", "job_owners", 0): {
        **common("4101:1101:recruiter", T1, T1), "job_id": "4101", "user_id": "1101",
        "role": "recruiter", "role_raw": "recruiter"},
    ("scorecards", "scorecards", 0): {
        **common("76101", "2026-03-24T14:00:00.000Z", "2026-03-24T16:30:00.000Z"),
        "application_id": "20101", "candidate_id": None, "job_id": None,
        "interview_id": "40101", "interviewer_id": "1102",
        "submitted_at": "2026-03-24T16:30:00.000Z", "overall_recommendation": "yes",
        "overall_recommendation_raw": "yes", "ratings": [{"name": "SQL", "rating": "strong_yes"}],
        "notes": None},
    ("demographics", "eeoc", 0): {
        **common("77101", T2, T2), "application_id": "20101", "candidate_id": "10101",
        "race": "Two or More Races", "gender": "Female",
        "veteran_status": "I am not a protected veteran",
        "disability_status": "I don't wish to answer", "submitted_at": T2},
    ("custom_field_definitions", "custom_fields", 0): {
        **common("78101", T1, T1), "name": "Employment Type", "key": "employment_type",
        "object_type": "job", "field_type": "single_select", "options": ["Full-time"],
        "active": True},
}


def examples(endpoint: str) -> list[dict[str, Any]]:
    return copy.deepcopy(fixture("greenhouse", endpoint)["example"])


@pytest.fixture
def streams(monkeypatch) -> dict[str, Any]:
    """The tap's Greenhouse streams; every lookup answers its endpoint's published example."""
    found = TapATS(config=CONFIG, setup_mapper=False).streams
    for stream in found.values():
        monkeypatch.setattr(stream, "fetch_each", lambda path, context, params=None: iter(
            examples(path.removeprefix("/v3/"))))
    return found


def mapped(streams: dict[str, Any], name: str, endpoint: str, raw: dict) -> dict[str, Any]:
    """One record of ``endpoint`` as stream ``name`` maps it, its lookups read first."""
    stream = streams[name]
    provider = stream.provider
    if hasattr(stream, "prepare"):
        stream._local.window_end = utc_now()  # as a sync sets it before the first page
        stream.prepare([raw])
    if name in ("application_stages", "jobs"):
        stream._index = provider.stages(stream, None)
    if name == "job_hiring_team":
        stream._managers = endpoint == "job_hiring_managers"
    return stream.map_record(raw)


@pytest.mark.parametrize(("name", "endpoint", "index"), list(EXPECTED))
def test_each_published_example_maps_to_the_row_written_by_hand(streams, name, endpoint, index):
    assert mapped(streams, name, endpoint, examples(endpoint)[index]) == \
        EXPECTED[name, endpoint, index]


@pytest.mark.parametrize("name", list(STREAMS))
def test_every_stream_is_mapped_from_an_example(name):
    assert any(key[0] == name for key in EXPECTED)


@pytest.mark.parametrize(("name", "endpoint"), [*STREAMS.items(),
                                                ("job_hiring_team", "job_hiring_managers")])
def test_ids_are_present_and_unique_when_every_nullable_field_is_null(streams, name, endpoint):
    """Two records alike but for their own Greenhouse id, every other field null."""
    blank = [{key: (raw["id"] + 10**7 * n if key == "id" else None) for key in raw}
             for n, raw in enumerate(examples(endpoint) * 2)]
    ids = [mapped(streams, name, endpoint, raw)["id"] for raw in blank]
    assert all(ids) and not [i for i in ids if "None" in i]
    assert len(set(ids)) == len(ids)


def test_two_roles_of_one_person_on_one_job_keep_two_rows(streams):
    owners = examples("job_owners")
    twice = [{**owners[0], "id": 1, "type": None}, {**owners[0], "id": 2, "type": None},
             {**owners[0], "id": 3, "type": "coordinator"}]
    ids = {mapped(streams, "job_hiring_team", "job_owners", raw)["id"] for raw in twice}
    assert len(ids) == 3


def sandbox_answer(sandbox, endpoint: str) -> list[dict[str, Any]]:
    """The sandbox's first page of ``endpoint`` (its largest), as the tap would be answered."""
    config = sandbox.config("greenhouse")
    token = requests.post(config["token_url"], auth=(config["client_id"], config["client_secret"]),
                          data={"grant_type": "client_credentials", "sub": config["user_id"]},
                          timeout=10).json()["access_token"]
    answer = requests.get(f"{config['api_url']}/v3/{endpoint}", params={"per_page": 500},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
    answer.raise_for_status()
    return answer.json()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_sandbox_answers_with_the_examples_keys_and_types(sandbox, endpoint):
    published = fixture("greenhouse", endpoint)
    served = sandbox_answer(sandbox, endpoint)
    assert served, f"the sandbox serves no {endpoint}"
    found = differences(shape(published["example"]), served, maps=("custom_fields",))
    extra = {f"{key}: not in the example" for key in published["not_shown"]}
    assert sorted(set(found) - extra) == []


def test_every_endpoint_the_tap_reads_has_a_fixture():
    tap = TapATS(config=CONFIG, setup_mapper=False)
    read = {s.path.removeprefix("/v3/") for s in tap.streams.values()
            if s.name != "job_hiring_team"}
    read |= {p.removeprefix("/v3/") for p in tap.streams["job_hiring_team"].LISTS}
    read |= {p.removeprefix("/v3/") for p in LOOKUP_COLUMNS}
    assert read <= set(ENDPOINTS)


def test_the_readme_names_only_paths_the_examples_show_or_list_as_not_shown():
    sources = readme_paths("### Greenhouse")
    assert {stream for stream, *_ in sources} == set(STREAMS)
    wrong = []
    for stream, column, endpoint, path, marked in sources:
        published = fixture("greenhouse", endpoint.removeprefix("/v3/"))
        shown = has_path(published["example"], path)
        if shown == marked or (not shown and path not in published["not_shown"]):
            wrong.append(f"{stream}.{column}: {endpoint} {path}")
    assert wrong == []


def test_an_application_stage_is_named_within_its_job_and_a_shared_name_is_no_stage():
    def stage(id_: int, job: int, name: str, *, active: bool = True) -> dict[str, Any]:
        return {"id": id_, "job_id": job, "name": name, "active": active}

    index = StageIndex(by_id={str(s["id"]): s for s in [
        stage(1, 10, "Onsite"), stage(2, 11, "Onsite"),
        stage(3, 10, "Offer"), stage(4, 10, "Offer", active=False),
        stage(5, 10, "Screen"), stage(6, 10, "Screen")]})
    named = stage_ids(index)
    assert named["10", "Onsite"] == "1" and named["11", "Onsite"] == "2"
    assert named["10", "Offer"] == "3"  # the retired stage of that name is not the one
    assert named["10", "Screen"] is None  # two live stages: which one is unknown


@pytest.mark.parametrize(("raw", "unified"), [
    ("to_be_scheduled", "other"), ("scheduled", "scheduled"),
    ("awaiting_feedback", "awaiting_feedback"), ("collect_feedback", "awaiting_feedback"),
    ("complete", "complete"), ("skipped", "canceled"), ("to_be_sent", "other"),
    ("sent", "other"), ("received", "other")])
def test_each_v3_interview_status_has_its_unified_word(streams, raw, unified):
    """v3's nine statuses: a skipped interview is never sat, so it is no upcoming load."""
    row = mapped(streams, "interviews", "interviews", {**examples("interviews")[0], "status": raw})
    assert (row["status"], row["status_raw"]) == (unified, raw)


def test_a_reopened_application_keeps_no_reason_from_an_old_rejection_detail(streams):
    reopened = {**examples("applications")[1], "status": "in_process", "rejected_at": None}
    row = mapped(streams, "applications", "applications", reopened)
    assert (row["status"], row["rejection_reason_id"], row["rejection_reason"]) == (
        "active", None, None)
