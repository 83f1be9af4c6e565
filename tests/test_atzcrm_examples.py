"""ATZ CRM's published examples as fixtures: the tap's mapping, the sandbox's shape, odd slugs.

Each fixture in ``tests/fixtures/atzcrm/`` follows one page of docs.atzcrm.com (named in its
``source``): the keys and types are ATZ's, the values ours. The tap maps each to the rows written
here by hand; the sandbox answers every endpoint the tap reads with the same keys and types; the
README's table of column sources names only paths the examples show (or list as not shown).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
from conftest import records, run_tap
from examples import differences, fixture, has_path, readme_paths, shape

from tap_ats.providers.atzcrm.history import History, history_rows
from tap_ats.tap import TapATS

CONFIG = {"provider": "atzcrm", "api_token": "t", "api_url": "http://127.0.0.1:9/atzcrm/v1"}
#: Fixture -> the path the tap reads it from, and the query it sends.
ENDPOINTS = {"candidate": ("/candidate", {"page": 1, "limit": 100}),
             "history": ("/candidate/{slug}/history", {}),
             "job": ("/job/{slug}", {"maximize": "owner"}),
             "activity": ("/activity", {"page": 1, "limit": 25, "activity_type_id": 5,
                                        "sort_by": "updated_at", "sort_order": "desc",
                                        "maximize": "created_by,updated_by"})}
STREAMS = {"candidates", "candidate_history", "applications", "application_stages", "job_stages",
           "jobs", "job_hiring_team", "interviews"}
C, J = "candidate_5e1d0c9a7b3f2e4d6a80", "job_0a9b8c7d6e5f4a3b2c1d"
D1, D2 = "2026-03-02T08:30:00.000Z", "2026-03-09T13:45:00.000Z"
OWNER = {"id": 7, "slug": "user_3c2b1a", "full_name": "Omar Haddad",
         "email": "omar.haddad@example.com"}


def examples(name: str) -> list[dict[str, Any]]:
    return copy.deepcopy(fixture("atzcrm", name)["example"])


def base(id_: str, at: str | None) -> dict[str, Any]:
    return {"provider": "atzcrm", "account_id": "atzcrm", "id": id_, "remote_id": None,
            "created_at": at, "updated_at": at, "deleted_at": None, "_sdc_deleted_at": None}


@pytest.fixture
def derived() -> dict[str, list[dict]]:
    """Every row the tap derives from the example candidate, history and job (read this run)."""
    streams = TapATS(config=CONFIG, setup_mapper=False).streams
    reader = streams["candidates"]
    candidate = {**reader.map_record(examples("candidate")[0]), "provider": "atzcrm",
                 "account_id": "atzcrm"}
    history = History(C, history_rows(C, examples("history")), None)
    reader.histories = {C: history}
    reader.jobs = {J: {**examples("job")[0], "owner": OWNER}}  # owner: not shown by the docs
    reader._learn(history)
    out = {name: streams[name].derive(candidate) for name in STREAMS - {"candidates", "interviews"}}
    return {**out, "candidates": [reader.map_record(examples("candidate")[0])],
            "interviews": [streams["interviews"].map_record(examples("activity")[0])]}


def test_each_published_example_maps_to_the_rows_written_by_hand(derived):
    rows = examples("history")
    assert derived["candidates"] == [{
        "id": C, "remote_id": None, "created_at": None, "updated_at": None, "deleted_at": None,
        "first_name": "Priya", "last_name": "Nair", "emails": ["priya.nair@example.com"],
        "phones": ["9845012345"], "company": "Lumen Retail", "title": "Data Analyst",
        "tags": ["analytics", "sql"]}]
    by = {"candidate_id": C, "job_id": J, "job_name": "Data Engineer",
          "organization_id": "organization_9f8e7d6c5b4a39281706",
          "organization_name": "Lumen Retail", "job_status": "In Progress",
          "updated_by_id": "7", "updated_by_name": "Omar Haddad",
          "updated_by_email": "omar.haddad@example.com"}
    assert derived["candidate_history"] == [
        {**base(f"{C}:{J}:2:1", D1), **by, "stage_id": "2", "stage_name": "Assigned",
         "stage_date": "2026-03-02", "visibility": True, "comment": None, "raw": rows[0]},
        {**base(f"{C}:{J}:3:1", D2), **by, "stage_id": "3", "stage_name": "Interview",
         "stage_date": "2026-03-09", "visibility": False,
         "comment": "Booked with the team lead", "raw": rows[1]}]
    assert derived["applications"] == [{
        **base(f"{C}:{J}", D1), "updated_at": D2, "candidate_id": C, "job_id": J,
        "current_stage_id": "3", "current_stage_name": "Interview", "status": "active",
        "status_raw": "Interview", "applied_at": "2026-03-02T00:00:00Z", "rejected_at": None,
        "rejection_reason": None, "source": None, "raw": None}]
    visit = {"application_id": f"{C}:{J}", "job_id": J, "candidate_id": C, "origin": "derived",
             "observed_at": None}
    assert derived["application_stages"] == [
        {**base(f"{C}:{J}:2:1", D1), **visit, "stage_id": "2", "stage_name": "Assigned",
         "entered_at": "2026-03-02T00:00:00Z", "exited_at": "2026-03-09T00:00:00Z",
         "is_current": False, "raw": rows[0]},
        {**base(f"{C}:{J}:3:1", D2), **visit, "stage_id": "3", "stage_name": "Interview",
         "entered_at": "2026-03-09T00:00:00Z", "exited_at": None, "is_current": True,
         "raw": rows[1]}]
    assert derived["job_stages"] == [
        {**base("2", None), "job_id": None, "name": "Assigned", "order": 0, "active": None,
         "raw": {"id": 2, "name": "Assigned"}},
        {**base("3", None), "job_id": None, "name": "Interview", "order": 1, "active": None,
         "raw": {"id": 3, "name": "Interview"}}]
    assert derived["jobs"] == [{
        **base(J, None), "name": "Data Engineer", "code": None, "status": "open",
        "status_raw": "In Progress", "opened_at": "2026-02-15T00:00:00Z",
        "closed_at": "2026-05-31T00:00:00Z", "stages": None,
        "raw": {**examples("job")[0], "owner": OWNER}}]
    assert derived["job_hiring_team"] == [{
        **base(f"{J}:7:other", None), "job_id": J, "user_id": "7", "role": "other",
        "role_raw": "owner", "raw": OWNER}]
    assert derived["interviews"] == [{
        "id": "912", "remote_id": None, "created_at": "2026-03-05T10:00:00Z",
        "updated_at": "2026-03-06T10:00:00Z", "deleted_at": None, "application_id": f"{C}:{J}",
        "job_id": J, "stage_id": None, "title": "Technical interview", "status": "complete",
        "status_raw": None, "start_at": "2026-03-12T09:30:00Z",
        "end_at": "2026-03-12T10:30:00Z", "location": "Room 2", "organizer_id": "7",
        "interviewer_ids": ["7", "9"]}]


def test_history_ids_are_present_and_unique_when_every_nullable_field_is_null():
    """Two stays in one stage, every field ATZ may leave out null: two ids, none from a null."""
    rows = [{key: None for key in row} for row in examples("history") * 2]
    for n, row in enumerate(rows):
        row.update(job_slug=J, talent_stage={"id": 2, "name": None}, stage_date=None,
                   updated_at=f"2026-03-0{n + 1}T00:00:00Z")
    history = History(C, history_rows(C, rows), None)
    ids = [history.row_id(row) for row in history.rows]
    assert ids == [f"{C}:{J}:2:{n}" for n in (1, 2, 3, 4)]


def test_a_candidate_with_every_field_but_its_slug_null_keeps_its_id():
    reader = TapATS(config=CONFIG, setup_mapper=False).streams["candidates"]
    blank = {key: None for key in examples("candidate")[0]} | {"slug": C}
    assert reader.map_record(blank)["id"] == C


def atz_get(config: dict, path: str, params: dict) -> Any:
    answer = requests.get(f"{config['api_url']}{path}", params=params, timeout=30,
                          headers={"Authorization": f"Bearer {config['api_token']}"})
    answer.raise_for_status()
    return answer.json()


@pytest.fixture
def served(sandbox) -> dict[str, list[dict]]:
    """The sandbox's answers to the tap's reads: a list page, its histories and their jobs."""
    config = sandbox.config("atzcrm")
    candidates = atz_get(config, *ENDPOINTS["candidate"])["data"]
    histories = [row for c in candidates[:40] for row in atz_get(
        config, ENDPOINTS["history"][0].format(slug=c["slug"]), {})]
    jobs = [atz_get(config, ENDPOINTS["job"][0].format(slug=slug), ENDPOINTS["job"][1])
            for slug in sorted({row["job_slug"] for row in histories})]
    return {"candidate": candidates, "history": histories, "job": jobs,
            "activity": atz_get(config, *ENDPOINTS["activity"])["data"]}


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_the_sandbox_answers_with_the_examples_keys_and_types(served, name):
    published = fixture("atzcrm", name)
    assert served[name], f"the sandbox serves no {name}"
    extra = {f"{key}: not in the example" for key in published["not_shown"]}
    assert sorted(set(differences(shape(published["example"]), served[name])) - extra) == []


def test_the_readme_names_only_paths_the_examples_show_or_list_as_not_shown():
    sources = readme_paths("### ATZ CRM")
    assert {stream for stream, *_ in sources} == STREAMS
    names = {path: name for name, (path, _) in ENDPOINTS.items()}
    wrong = []
    for stream, column, endpoint, path, marked in sources:
        published = fixture("atzcrm", names[endpoint])
        shown = has_path(published["example"], path)
        if shown == marked or (not shown and path not in published["not_shown"]):
            wrong.append(f"{stream}.{column}: {endpoint} {path}")
    assert wrong == []


def test_a_numeric_slug_is_read_as_its_text_and_counted_in_one_warning(sandbox, tmp_path):
    sandbox.faults(numeric_slugs=0.2)
    truth = {k[1] for k in sandbox.truth("atzcrm")["candidates"]["ids"]}
    numbered = {slug for slug in truth if slug.isdigit()}
    assert 0 < len(numbered) < len(truth)
    rc, messages, err = run_tap(sandbox.config("atzcrm"), tmp_path)
    assert rc == 0, err
    assert {r["id"] for r in records(messages, "candidates")} == truth
    assert numbered & {r["candidate_id"] for r in records(messages, "candidate_history")}
    lines = [line for line in err.splitlines() if "WARNING" in line and "slug" in line]
    assert len(lines) == 1 and f"gave {len(numbered)} candidates a slug that is a number" \
        in lines[0]
