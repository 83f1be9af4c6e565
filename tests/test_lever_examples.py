"""Lever's documented shapes as fixtures: the sandbox's answers, the README's paths, the mapping.

Each fixture in ``tests/fixtures/lever/`` follows one section of Lever's API reference
(hire.lever.co/developer/documentation, named in its ``source``): the keys and types are
Lever's as read for tap-ats, the values ours. The sandbox answers every list the tap reads with
the same keys and types; the README's table of column sources names only paths the fixtures
show; the tap maps the examples to rows written here by hand.
"""

from __future__ import annotations

import base64
import copy

import pytest
import requests
from examples import FIXTURES, differences, fixture, has_path, readme_paths, shape

from tap_ats.tap import TapATS

ENDPOINTS = sorted(p.name.removesuffix(".json") for p in (FIXTURES / "lever").glob("*.json"))
CONFIG = {"provider": "lever", "api_key": "k", "api_url": "http://127.0.0.1:9/lever/v1"}
#: Fixture -> (path under the API root, query) of the list the tap reads.
PATHS = {"opportunities": ("/opportunities", {"confidentiality": "all",
                                               "expand": ["applications", "stage"]}),
         "opportunities_deleted": ("/opportunities/deleted", {}),
         "postings": ("/postings", {"confidentiality": "all"}), "stages": ("/stages", {}),
         "archive_reasons": ("/archive_reasons", {}),
         "users": ("/users", {"includeDeactivated": "true"}), "sources": ("/sources", {}),
         "offers": ("/opportunities/{id}/offers", {}),
         "interviews": ("/opportunities/{id}/interviews", {}),
         "feedback": ("/opportunities/{id}/feedback", {})}
HIRED = "1e7e0000-0000-0007-0000-0000000003e8"
OPPORTUNITY = {"id": "1e7e0000-0000-0001-0000-00000000000b",
               "candidate_id": "1e7e0000-0000-0002-0000-00000000000b",
               "job_id": "1e7e0000-0000-0003-0000-000000000003"}


def test_every_endpoint_the_tap_reads_has_a_fixture():
    assert set(ENDPOINTS) == set(PATHS)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_sandbox_answers_in_the_documented_shape(sandbox, endpoint):
    """Every record the sandbox serves (after changes) has the example's keys and types."""
    sandbox.advance(40, "lever")
    config = sandbox.config("lever")
    headers = {"Authorization": "Basic " + base64.b64encode(
        f"{config['api_key']}:".encode()).decode()}
    path, query = PATHS[endpoint]
    if "{id}" in path:
        opportunities = requests.get(f"{config['api_url']}/opportunities", headers=headers,
                                     timeout=10).json()["data"]
        answers = [requests.get(config["api_url"] + path.format(id=o["id"]), headers=headers,
                                timeout=10).json()["data"] for o in opportunities]
        records = [r for answer in answers for r in answer]
    else:
        records = requests.get(config["api_url"] + path, params=query, headers=headers,
                               timeout=10).json()["data"]
    assert records
    assert differences(shape(fixture("lever", endpoint)["example"]), records) == []


def test_the_readme_names_only_documented_paths():
    paths = readme_paths("### Lever")
    assert len(paths) > 30
    names = {path: name for name, (path, _) in PATHS.items()}
    names.update({"/opportunities/:id/offers": "offers",
                  "/opportunities/:id/interviews": "interviews",
                  "/opportunities/:id/feedback": "feedback"})
    for stream, column, endpoint, path, marked in paths:
        assert not marked, (stream, column)
        assert has_path(fixture("lever", names[endpoint])["example"], path), (stream, endpoint,
                                                                             path)


def streams() -> dict:
    tap = TapATS(config=CONFIG, parse_env_config=False, validate_config=False)
    return tap.streams


def example(endpoint: str, n: int = 0) -> dict:
    return copy.deepcopy(fixture("lever", endpoint)["example"][n])


def test_an_opportunity_archived_as_hired_is_a_hire_and_no_rejection():
    stream = streams()["applications"]
    stream._context = {"account_id": "lever"}
    stream.tap.provider.reasons._index["lever"] = {
        HIRED: ("Hired", "hired"),
        "1e7e0000-0000-0007-0000-000000000003": ("Position filled", "non-hired")}
    assert stream.map_record(example("opportunities")) == {
        "id": "1e7e0000-0000-0001-0000-00000000000e", "remote_id": None,
        "created_at": "2026-10-19T23:02:32.309Z", "updated_at": "2026-12-04T19:53:14.719Z",
        "deleted_at": None, "candidate_id": "1e7e0000-0000-0002-0000-00000000000e",
        "job_id": "1e7e0000-0000-0003-0000-000000000003",
        "current_stage_id": "1e7e0000-0000-0004-0000-000000000005",
        "current_stage_name": "Offer", "status": "hired", "status_raw": "hired",
        "applied_at": "2026-10-19T23:02:32.309Z", "rejected_at": None, "rejection_reason": None,
        "source": "Careers page", "source_id": "f9c6d6b954840250", "rejection_reason_id": HIRED,
        "custom_fields": None}
    rejected = stream.map_record(example("opportunities", 1))
    assert (rejected["status"], rejected["rejected_at"], rejected["rejection_reason"]) == (
        "rejected", "2026-11-18T21:56:23.872Z", "Position filled")


def test_a_deleted_opportunity_is_its_id_and_time():
    row = streams()["applications"].map_record(example("opportunities_deleted"))
    assert row["deleted_at"] == row["updated_at"] and row["deleted_at"].endswith("Z")
    assert row["candidate_id"] is None and row["status"] is None


def test_an_offer_interview_and_feedback_map_to_their_rows():
    tap_streams = streams()
    offers, interviews, cards = (tap_streams[n] for n in ("offers", "interviews", "scorecards"))
    for stream in (offers, interviews, cards):
        stream.opportunity = OPPORTUNITY
    assert offers.map_record(example("offers")) == {
        "id": "1e7e0000-0000-0008-0000-000000000003", "remote_id": None,
        "created_at": "2026-10-27T17:04:56.883Z", "updated_at": "2026-10-27T17:04:56.883Z",
        "deleted_at": None, "application_id": OPPORTUNITY["id"],
        "job_id": "1e7e0000-0000-0003-0000-000000000003",
        "candidate_id": OPPORTUNITY["candidate_id"], "status": "sent", "status_raw": "sent",
        "version": None, "sent_at": "2026-10-27T17:04:56.883Z", "resolved_at": None,
        "starts_at": "2026-11-23T00:00:00.000Z",
        "custom_fields": {"anticipated_start_date": 1795392000000, "salary": 72000,
                          "currency": "EUR"}}
    interview = interviews.map_record(example("interviews"))
    assert {k: interview[k] for k in ("start_at", "end_at", "status", "stage_id", "organizer_id",
                                      "interviewer_ids", "job_id", "title")} == {
        "start_at": "2026-10-29T18:04:56.883Z", "end_at": "2026-10-29T19:04:56.883Z",
        "status": "complete", "stage_id": "1e7e0000-0000-0004-0000-000000000005",
        "organizer_id": "1e7e0000-0000-0006-0000-00000000000d",
        "interviewer_ids": ["1e7e0000-0000-0006-0000-000000000012"],
        "job_id": "1e7e0000-0000-0003-0000-000000000003",
        "title": "Interview for application 11"}
    card = cards.map_record(example("feedback"))
    assert {k: card[k] for k in ("interview_id", "interviewer_id", "submitted_at",
                                 "overall_recommendation", "overall_recommendation_raw",
                                 "ratings", "notes")} == {
        "interview_id": "1e7e0000-0000-0005-0000-000000000004",
        "interviewer_id": "1e7e0000-0000-0006-0000-000000000012",
        "submitted_at": "2026-10-30T01:12:56.883Z", "overall_recommendation": "yes",
        "overall_recommendation_raw": "3 - Hire",
        "ratings": [{"name": "Technical depth", "rating": "no"},
                    {"name": "Ownership", "rating": "yes"},
                    {"name": "Communication", "rating": "mixed"}], "notes": None}


def test_archive_reasons_keep_levers_type():
    stream = streams()["rejection_reasons"]
    rows = [stream.map_record(r) for r in fixture("lever", "archive_reasons")["example"]]
    assert [(r["name"], r["type"], r["type_raw"]) for r in rows] == [
        ("Lacks experience", None, "non-hired"), ("Hired", "other", "hired")]
