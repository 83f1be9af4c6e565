"""Ashby's scorecards (``applicationFeedback.list``): the mapping of a submitted form, then
against the sandbox: a full sync and an incremental one by sync token, notes, a refused key."""

from __future__ import annotations

import copy
import math

import pytest
from conftest import assert_fields_match, last_state, records, run_tap
from examples import fixture
from test_ashby import bodies, tokens

from tap_ats.sandbox.ashby.render import aid
from tap_ats.sandbox.world import now
from tap_ats.tap import TapATS

FEEDBACK = "/applicationFeedback.list"
CONFIG = {"provider": "ashby", "api_key": "k", "api_url": "http://127.0.0.1:9/ashby"}


def streams(**config: object) -> dict:
    return TapATS(config={**CONFIG, **config}, setup_mapper=False).streams


def feedback() -> dict:
    """The documented example: a ValueSelect overall recommendation, a Score, a RichText."""
    return copy.deepcopy(fixture("ashby", FEEDBACK[1:])["example"][0])


def overall(raw: dict) -> dict:
    return raw["formDefinition"]["sections"][0]["fields"][0]["field"]


def test_the_example_maps_to_a_row():
    raw = feedback()
    row = streams()["scorecards"].map_record(raw)
    assert row == {
        "id": raw["id"], "remote_id": None, "created_at": raw["submittedAt"],
        "updated_at": None, "deleted_at": None, "application_id": raw["applicationId"],
        "candidate_id": None, "job_id": None, "interview_id": raw["interviewEventId"],
        "interviewer_id": raw["submittedByUser"]["id"], "submitted_at": raw["submittedAt"],
        "overall_recommendation": "yes", "overall_recommendation_raw": "hire",
        "ratings": [{"name": "Problem solving", "rating": "3"}], "notes": None}
    assert "notes" not in raw["submittedValues"]  # the free text leaves raw too


@pytest.mark.parametrize(("answer", "unified"), [
    ("strong_hire", "strong_yes"), ("hire", "yes"), ("no_hire", "no"),
    ("strong_no_hire", "strong_no"), ("Strong Yes", "strong_yes"), ("no_decision", "no_decision"),
    ("opt_1", "strong_yes"),  # an opaque value: its option's label decides
    ("maybe", "other"), (None, "no_decision"), ("", "no_decision"),  # submitted unanswered
])
def test_a_value_select_recommendation_maps_each_answer(answer, unified):
    raw = feedback()
    overall(raw)["selectableValues"].append({"label": "Strong Hire", "value": "opt_1"})
    raw["submittedValues"]["overall_recommendation"] = answer
    row = streams()["scorecards"].map_record(raw)
    assert row["overall_recommendation"] == unified
    assert row["overall_recommendation_raw"] == (answer or None)


@pytest.mark.parametrize(("answer", "unified"), [
    (4, "strong_yes"), ("3", "yes"), ({"score": 2}, "no"), (1, "strong_no"), (7, "other")])
def test_a_score_recommendation_maps_one_to_four(answer, unified):
    """An overall recommendation kept as a Score field (1 to 4), found by its title."""
    raw = feedback()
    overall(raw).update(type="Score", path="_systemfield_verdict", title="Overall recommendation")
    del overall(raw)["selectableValues"]
    raw["submittedValues"] = {"_systemfield_verdict": answer, "problem_solving": {"score": 4}}
    row = streams()["scorecards"].map_record(raw)
    assert (row["overall_recommendation"], row["overall_recommendation_raw"]) == (
        unified, str(answer.get("score") if isinstance(answer, dict) else answer))
    assert row["ratings"] == [{"name": "Problem solving", "rating": "4"}]


def test_a_form_without_an_overall_field_has_no_recommendation():
    raw = feedback()
    overall(raw).update(path="culture", title="Culture")
    row = streams()["scorecards"].map_record(raw)
    assert (row["overall_recommendation"], row["overall_recommendation_raw"]) == (None, None)


def test_notes_only_with_the_setting():
    raw = feedback()
    text = raw["submittedValues"]["notes"]
    raw["submittedValues"]["summary"] = {"type": "PlainText", "value": "Hire."}
    raw["formDefinition"]["sections"].append({"title": "Summary", "fields": [{
        "isRequired": False, "field": {"id": "s", "type": "LongText", "path": "summary",
                                       "title": "Summary"}}]})
    row = streams(include_scorecard_notes=True)["scorecards"].map_record(raw)
    assert row["notes"] == f"{text}\n\nHire."
    assert raw["submittedValues"]["notes"] == text


def test_a_full_sync_equals_the_truth_in_the_fewest_requests(sandbox, tmp_path):
    rc, messages, err = run_tap(sandbox.config("ashby", page_size=40), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("ashby")
    got = {(r["account_id"], r["id"]) for r in records(messages, "scorecards")}
    assert got == {tuple(k) for k in truth["scorecards"]["ids"]} and len(got) > 40
    fields = assert_fields_match(sandbox, "ashby", messages)
    assert {f[2]["overall_recommendation"] for f in fields["scorecards"]} == {
        "strong_yes", "yes", "no", "strong_no", "no_decision"}
    assert all(r["notes"] is None for r in records(messages, "scorecards"))
    sent = bodies(sandbox.log("ashby"), FEEDBACK)
    assert len(sent) == math.ceil(len(got) / 40)  # one pass, full pages: no per-application read
    assert all(set(b) <= {"limit", "cursor"} for b in sent)
    assert "scorecards" in tokens(last_state(messages))


def test_an_incremental_run_reads_exactly_the_changed_scorecards(sandbox, tmp_path):
    """After changes, one request with the token lists the scorecards changed since; those of
    applications the changes deleted are gone from Ashby, with no trace (as their offers)."""
    config = sandbox.config("ashby")
    _, first, _ = run_tap(config, tmp_path)
    state = last_state(first)
    assert sandbox.advance(30, "ashby")["ashby"]["delete"]
    world = sandbox.sandbox.apis["ashby"].world("ashby")
    live = [s for s in world.scorecards if s.deleted_at is None
            and world.applications.get(s.application_id).deleted_at is None]
    touched = live[3:5]
    for card in touched:
        card.updated_at = now()
    n = len(sandbox.log("ashby"))
    rc, again, err = run_tap(config, tmp_path, state)
    assert rc == 0, err[-3000:]
    assert [b.get("syncToken") for b in bodies(sandbox.log("ashby")[n:], FEEDBACK)] == [
        tokens(state)["scorecards"]]
    assert sorted(r["id"] for r in records(again, "scorecards")) == sorted(
        aid("feedback", c.id) for c in touched)
    assert tokens(last_state(again))["scorecards"] != tokens(state)["scorecards"]
    n = len(sandbox.log("ashby"))
    rc, quiet, err = run_tap(config, tmp_path, last_state(again))
    assert rc == 0 and not records(quiet, "scorecards"), err[-3000:]
    assert len(bodies(sandbox.log("ashby")[n:], FEEDBACK)) == 1


def test_notes_land_only_with_include_scorecard_notes(sandbox, tmp_path):
    config = sandbox.config("ashby", include_scorecard_notes=True)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    world = sandbox.sandbox.apis["ashby"].world("ashby")
    notes = {aid("feedback", s.id): s.notes for s in world.scorecards}
    cards = records(messages, "scorecards")
    assert {r["id"]: r["notes"] for r in cards} == {r["id"]: notes[r["id"]] for r in cards}
    assert any(r["notes"] for r in cards) and any(r["notes"] is None for r in cards)


@pytest.mark.parametrize("refusal", [
    {"forbidden": [FEEDBACK]},
    {"error_code": {"code": "missing_endpoint_permission", "paths": [FEEDBACK]}},
], ids=["403", "permission-code"])
def test_a_key_without_candidates_read_on_feedback_skips_only_scorecards(sandbox, tmp_path,
                                                                        refusal):
    sandbox.faults(**refusal)
    rc, messages, err = run_tap(sandbox.config("ashby"), tmp_path)
    assert rc == 0, err[-3000:]
    assert "Traceback" not in err
    lines = [line for line in err.splitlines()
             if "applicationFeedback.list" in line and "WARNING" in line]
    assert len(lines) == 1 and "candidatesRead" in lines[0], err[-3000:]
    assert not records(messages, "scorecards")
    assert len(bodies(sandbox.log("ashby"), FEEDBACK)) == 1  # asked once, not retried
    truth = sandbox.truth("ashby")
    for stream in ("applications", "application_stages", "interviews", "offers", "users"):
        got = {(r["account_id"], r["id"]) for r in records(messages, stream)}
        assert got == {tuple(k) for k in truth[stream]["ids"]}, stream
    assert "scorecards" not in tokens(last_state(messages))
