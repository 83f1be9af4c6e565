"""Ashby's documented shapes as fixtures: the sandbox's answers, the README's paths, the mapping.

Each fixture in ``tests/fixtures/ashby/`` follows one reference page of developers.ashbyhq.com
(named in its ``source``): the keys and types are Ashby's, the values ours. The sandbox answers
every list the tap reads with the same keys and types; the README's table of column sources
names only paths the fixtures show; the tap maps the examples to rows written here by hand.
"""

from __future__ import annotations

import base64
import copy
import json

import pytest
import requests
from examples import FIXTURES, differences, fixture, has_path, readme_paths, shape

from tap_ats.tap import TapATS

ENDPOINTS = sorted(p.name.removesuffix(".json") for p in (FIXTURES / "ashby").glob("*.json"))
CONFIG = {"provider": "ashby", "api_key": "k", "api_url": "http://127.0.0.1:9/ashby"}


def example(endpoint: str) -> dict:
    return copy.deepcopy(fixture("ashby", endpoint)["example"][0])


def documented(endpoint: str) -> list[dict]:
    """The fixture's records, each feedback form field given ``selectableValues`` (Ashby shows
    them on ValueSelect fields only) so that one shape holds every field."""
    rows = copy.deepcopy(fixture("ashby", endpoint)["example"])
    for row in rows:
        for section in row.get("formDefinition", {}).get("sections", []):
            for field in section["fields"]:
                field["field"].setdefault("selectableValues", [])
    return rows


def any_value(expected: object) -> object:
    """The shape with every ``customFields[].value`` of any type: Ashby types it by the field."""
    if isinstance(expected, dict):
        return {k: set() if k == "value" else any_value(v) for k, v in expected.items()}
    if isinstance(expected, tuple):
        return (expected[0], any_value(expected[1]))
    return expected


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_sandbox_answers_in_the_documented_shape(sandbox, endpoint):
    """Every record the sandbox serves (after changes) has the example's keys and types."""
    sandbox.advance(20, "ashby")
    config = sandbox.config("ashby")
    key = base64.b64encode(f"{config['api_key']}:".encode()).decode()
    body = {}
    if endpoint == "interviewStage.list":
        job = requests.post(f"{config['api_url']}/job.list", json={},
                            headers={"Authorization": f"Basic {key}"}, timeout=10).json()
        body = {"interviewPlanId": job["results"][0]["defaultInterviewPlanId"]}
    if endpoint == "application.listHistory":  # the history of an application that moved
        apps = requests.post(f"{config['api_url']}/application.list", json={},
                             headers={"Authorization": f"Basic {key}"}, timeout=10).json()
        moved = next(a for a in apps["results"]
                     if a["currentInterviewStage"]["orderInInterviewPlan"] > 0)
        body = {"applicationId": moved["id"]}
    answer = requests.post(f"{config['api_url']}/{endpoint}", json=body,
                           headers={"Authorization": f"Basic {key}"}, timeout=10).json()
    assert answer["success"] is True and answer["results"]
    expected = any_value(shape(documented(endpoint)))
    # Feedback answers are keyed by the form's field paths; Ashby shows ``selectableValues`` on
    # its ValueSelect fields only.
    found = differences(expected, answer["results"], maps=("submittedValues",))
    assert [d for d in found if not d.endswith("field.selectableValues: missing")] == []


def test_the_readme_names_only_documented_paths():
    paths = readme_paths("### Ashby")
    assert len(paths) > 50
    for stream, column, endpoint, path, marked in paths:
        data = fixture("ashby", endpoint.strip("/"))
        shown = has_path(data["example"], path)
        assert shown != marked, (stream, column, endpoint, path)
        assert marked == (path in data["not_shown"]), (stream, column, path)


def test_the_examples_map_to_the_rows_written_here():
    streams = TapATS(config=CONFIG, setup_mapper=False).streams
    app = example("application.list")
    row = streams["applications"].map_record(app)
    assert row == {
        "id": app["id"], "remote_id": None, "created_at": app["createdAt"],
        "updated_at": app["updatedAt"], "deleted_at": None,
        "candidate_id": app["candidate"]["id"], "job_id": app["job"]["id"],
        "current_stage_id": app["currentInterviewStage"]["id"],
        "current_stage_name": app["currentInterviewStage"]["title"],
        "status": "rejected", "status_raw": "Archived", "applied_at": app["createdAt"],
        "rejected_at": app["archivedAt"], "rejection_reason": app["archiveReason"]["text"],
        "rejection_reason_id": app["archiveReason"]["id"], "source": app["source"]["title"],
        "source_id": app["source"]["id"],
        "custom_fields": {f["id"]: f["value"] for f in app["customFields"]}}
    offer = example("offer.list")
    assert streams["offers"].map_record(offer) == {
        "id": offer["id"], "remote_id": None,
        "created_at": offer["latestVersion"]["createdAt"], "updated_at": None,
        "deleted_at": None, "application_id": offer["applicationId"], "job_id": None,
        "candidate_id": None, "status": "accepted", "status_raw": "CandidateAccepted",
        "version": None, "sent_at": None, "resolved_at": offer["decidedAt"],
        "starts_at": f"{offer['latestVersion']['startDate']}T00:00:00Z",
        "custom_fields": {f["id"]: f["value"] for f in offer["latestVersion"]["customFields"]}}
    schedule = example("interviewSchedule.list")
    event = schedule["interviewEvents"][0]
    mapped = streams["interviews"].map_record(schedule)
    assert {k: mapped[k] for k in ("application_id", "stage_id", "start_at", "end_at",
                                   "interviewer_ids", "location", "title", "organizer_id")} == {
        "application_id": schedule["applicationId"], "stage_id": schedule["interviewStageId"],
        "start_at": event["startTime"], "end_at": event["endTime"],
        "interviewer_ids": event["interviewerUserIds"], "location": event["location"],
        "title": None, "organizer_id": None}
    candidate = example("candidate.list")
    mapped = streams["candidates"].map_record(candidate)
    assert (mapped["first_name"], mapped["last_name"], mapped["emails"], mapped["tags"]) == (
        None, None, [candidate["primaryEmailAddress"]["value"]],
        [t["title"] for t in candidate["tags"]])
    history = fixture("ashby", "application.listHistory")["example"]
    streams["application_stages"].for_application(row, history)
    rows = [streams["application_stages"].map_record(e) for e in history]
    assert rows == [{
        "id": e["id"], "remote_id": None, "created_at": e["enteredStageAt"],
        "updated_at": app["updatedAt"], "deleted_at": None, "application_id": app["id"],
        "job_id": app["job"]["id"], "candidate_id": app["candidate"]["id"],
        "stage_id": e["stageId"], "stage_name": e["title"], "entered_at": e["enteredStageAt"],
        "exited_at": e["leftStageAt"], "is_current": n == 1, "origin": "native",
        "observed_at": None} for n, e in enumerate(history)]
    assert rows[0]["exited_at"] == rows[1]["entered_at"]
    field = example("customField.list")
    assert streams["custom_field_definitions"].map_record(field)["options"] == [
        v["label"] for v in field["selectableValues"]]
    assert json.dumps(row)  # a plain JSON row
