"""Greenhouse's analytics streams: offers, reference lists, hiring team, scorecards, EEOC answers,
custom fields, and what they add to applications and jobs.

First the mappings on their own (v3's spellings and v1's), then against the sandbox: a full sync
equal to the world, an incremental one that follows its changes, and a credential that may not
read one of the new endpoints.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from typing import Any
from urllib.parse import parse_qs

import pytest
from conftest import TAP, assert_fields_match, last_state, records, run_tap
from test_security import bookmarks

from tap_ats.sandbox.greenhouse import DEFAULT_REASONS, gid
from tap_ats.sandbox.world import EEOC_LABELS
from tap_ats.tap import TapATS

NEW = ["offers", "departments", "offices", "rejection_reasons", "sources", "job_hiring_team",
       "scorecards", "custom_field_definitions"]
CONFIG = {"provider": "greenhouse", "client_id": "c", "client_secret": "s", "user_id": "1",
          "api_url": "http://127.0.0.1:9/greenhouse", "token_url": "http://127.0.0.1:9/token"}


def keys(messages: list[dict], stream: str) -> set[tuple[str, str]]:
    return {(r["account_id"], r["id"]) for r in records(messages, stream)}


def truth_keys(truth: dict, stream: str) -> set[tuple[str, str]]:
    return {tuple(k) for k in truth[stream]["ids"]}


def warnings(err: str, text: str) -> list[str]:
    return [line for line in err.splitlines() if "WARNING" in line and text in line]


def paths(sandbox, since: int = 0) -> Counter:
    return Counter(e["path"].removeprefix("/greenhouse") for e in sandbox.log("greenhouse")[since:])


def catalog(config: dict, tmp_path, *select: str) -> dict:
    """The discovered catalog with exactly ``select`` selected."""
    cfg = tmp_path / "discover.json"
    cfg.write_text(json.dumps(config))
    found = json.loads(subprocess.run([TAP, "--config", str(cfg), "--discover"],
                                      capture_output=True, text=True, check=True).stdout)
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in select
    return found


@pytest.fixture(scope="module")
def streams() -> dict[str, Any]:
    """The tap's Greenhouse streams, for their mappings alone (no request is sent)."""
    return TapATS(config=CONFIG, setup_mapper=False).streams


# Mappings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "status", "sent"), [
    ({"status": "Created", "sent_on": None}, "draft", None),
    ({"status": "Created", "sent_on": "2026-02-03"}, "sent", "2026-02-03T00:00:00Z"),
    ({"status": "unresolved", "sent_at": None}, "draft", None),
    ({"status": "unresolved", "sent_at": "2018-06-07"}, "sent", "2018-06-07T00:00:00Z"),
    ({"status": "Accepted", "sent_on": "2026-02-03"}, "accepted", "2026-02-03T00:00:00Z"),
    ({"status": "rejected"}, "declined", None),
    ({"status": "Deprecated"}, "deprecated", None),
    ({"status": "Pending approval"}, "other", None),
    ({"status": None}, None, None),
])
def test_offer_status_from_v3_and_v1_words(streams, raw, status, sent):
    row = streams["offers"].map_record({"id": 7, **raw})
    assert (row["status"], row["status_raw"], row["sent_at"]) == (status, raw["status"], sent)


def test_offer_dates_versions_and_custom_fields(streams):
    row = streams["offers"].map_record({
        "id": 9, "version": 2, "application_id": 3, "job_id": 4, "candidate_id": 5,
        "status": "Created", "sent_on": "2026-01-02", "starts_on": "2026-03-01",
        "resolved_at": None, "custom_fields": {
            "salary": {"name": "Salary", "type": "currency",
                       "value": {"amount": 90000, "unit": "EUR"}},
            "remote": {"name": "Remote", "type": "yes_no", "value": None}}})
    assert row["starts_at"] == "2026-03-01T00:00:00Z" and row["version"] == 2
    assert (row["application_id"], row["job_id"], row["candidate_id"]) == ("3", "4", "5")
    assert row["custom_fields"] == {"salary": {"amount": 90000, "unit": "EUR"}, "remote": None}
    v1 = streams["offers"].map_record({"id": 9, "status": "accepted", "starts_at": "2018-07-20",
                                       "custom_fields": {"salary": {"value": 42000,
                                                                    "currency": "EUR"}}})
    assert v1["starts_at"] == "2018-07-20T00:00:00Z"
    assert v1["custom_fields"] == {"salary": {"value": 42000, "currency": "EUR"}}  # v1 flat


@pytest.mark.parametrize(("verdict", "unified"), [
    ("strong_yes", "strong_yes"), ("yes", "yes"), ("no", "no"), ("strong_no", "strong_no"),
    ("definitely_not", "strong_no"), ("no_decision", "no_decision"), ("mixed", "other"),
    (None, None)])
def test_scorecard_recommendation(streams, verdict, unified):
    row = streams["scorecards"].map_record({"id": 1, "candidate_rating": verdict})
    assert (row["overall_recommendation"], row["overall_recommendation_raw"]) == (unified, verdict)
    v1 = streams["scorecards"].map_record({"id": 1, "overall_recommendation": verdict})
    assert v1["overall_recommendation"] == unified


def test_scorecard_notes_leave_raw_unless_asked_for(streams):
    raw = {"id": 1, "notes": "strong", "private_notes": "p", "public_notes_with_tags": "t",
           "candidate_rating": "yes"}
    row = streams["scorecards"].map_record(raw)
    assert row["notes"] is None
    assert raw == {"id": 1, "candidate_rating": "yes"}
    noted = TapATS(config={**CONFIG, "include_scorecard_notes": True}, setup_mapper=False)
    raw = {"id": 1, "notes": "strong", "private_notes": "p"}
    assert noted.streams["scorecards"].map_record(raw)["notes"] == "strong"
    assert raw["private_notes"] == "p"


@pytest.mark.parametrize(("kind", "unified", "raw_type"), [
    ({"id": 1, "key": "WE_REJECTED_THEM", "name": "We rejected them"}, "we_rejected",
     "We rejected them"),
    ({"id": 2, "key": "THEY_REJECTED_US", "name": "They rejected us"}, "candidate_withdrew",
     "They rejected us"),
    ({"id": 3, "key": "NONE_SPECIFIED", "name": "None specified"}, "other", "None specified"),
    ({"id": 4, "key": "SECURITY_CONCERN", "name": "Security concern"}, "other",
     "Security concern"),
    ({"id": 1, "name": "We rejected them"}, "we_rejected", "We rejected them"),  # v1: no key
    ({"id": 2, "name": "They rejected us"}, "candidate_withdrew", "They rejected us"),
    ({"id": 3, "name": "None Specified"}, "other", "None Specified"),
    (None, None, None),
])
def test_rejection_reason_types(streams, kind, unified, raw_type):
    row = streams["rejection_reasons"].map_record({"id": 5, "name": "Spam", "type": kind})
    assert (row["type"], row["type_raw"]) == (unified, raw_type)


def test_reference_rows_in_v3_and_v1_shapes(streams):
    office = streams["offices"].map_record({"id": 1, "name": "NYC", "parent_id": 2,
                                            "location": {"name": "New York, NY"}})
    assert (office["location"], office["parent_id"]) == ("New York, NY", "2")
    assert streams["sources"].map_record(
        {"id": 1, "name": "Indeed", "type": {"id": 3, "name": "Third-party boards"}},
    )["type"] == "Third-party boards"
    v3 = streams["jobs"].map_record({"id": 1, "department_id": 8, "office_ids": [3, 4]})
    v1 = streams["jobs"].map_record({"id": 1, "departments": [{"id": 8}],
                                     "offices": [{"id": 3}, {"id": 4}]})
    none = streams["jobs"].map_record({"id": 1, "department_id": None, "office_ids": None})
    assert (v3["department_ids"], v3["office_ids"]) == (["8"], ["3", "4"])
    assert (v1["department_ids"], v1["office_ids"]) == (["8"], ["3", "4"])
    assert (none["department_ids"], none["office_ids"]) == ([], [])
    assert streams["users"].map_record({"id": 1, "primary_email_address": "a@b.c"})["email"] \
        == "a@b.c"


def test_custom_field_definitions_v1_inline_options(streams):
    row = streams["custom_field_definitions"].map_record({
        "id": 1, "name": "Level", "name_key": "level", "field_type": "job",
        "value_type": "single_select", "active": True,
        "custom_field_options": [{"id": 5, "name": "L1"}, {"id": 6, "name": "L2"}]})
    assert (row["key"], row["object_type"], row["options"]) == ("level", "job", ["L1", "L2"])
    flag = streams["custom_field_definitions"].map_record(
        {"id": 2, "name_key": "ok", "field_type": "offer", "value_type": "yes_no"})
    assert (flag["field_type"], flag["options"]) == ("boolean", [])


def test_hiring_team_roles_and_ids(streams):
    team = streams["job_hiring_team"]
    team._managers = True
    manager = team.map_record({"id": 1, "job_id": 4, "user_id": 9})
    assert (manager["id"], manager["role"], manager["role_raw"]) == (
        "4:9:hiring_manager", "hiring_manager", "hiring_manager")
    team._managers = False
    owner = team.map_record({"id": 2, "job_id": 4, "user_id": 9, "type": "sourcer"})
    odd = team.map_record({"id": 3, "job_id": 4, "user_id": 9, "type": "interviewer"})
    assert (owner["id"], owner["role"]) == ("4:9:sourcer", "sourcer")
    assert (odd["id"], odd["role"], odd["role_raw"]) == ("4:9:interviewer", "other",
                                                          "interviewer")


# Against the sandbox -------------------------------------------------------------------------


def test_full_sync_equals_the_world(sandbox, tmp_path):
    """Every new stream, and the columns they add, row by row; demographics are opt-in."""
    rc, messages, err = run_tap(sandbox.config("greenhouse", page_size=20), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("greenhouse")
    for stream in NEW:
        assert keys(messages, stream) == truth_keys(truth, stream), stream
    fields = assert_fields_match(sandbox, "greenhouse", messages)
    assert set(NEW) <= set(fields)
    assert not records(messages, "demographics")
    assert not [e for e in sandbox.log("greenhouse") if e["path"].endswith("/v3/eeoc")]
    assert not warnings(err, "stay null") and not warnings(err, "Skipped stream")

    apps = records(messages, "applications")
    assert all(r["source"] and r["source_id"] for r in apps)
    rejected = [r for r in apps if r["status"] == "rejected"]
    assert rejected and all(r["rejection_reason"] and r["rejection_reason_id"] for r in rejected)
    assert {r["rejection_reason"] for r in rejected} & set(DEFAULT_REASONS), (
        "Greenhouse's default reasons resolve only with include_defaults=true")
    assert {r["name"] for r in records(messages, "rejection_reasons")} >= set(DEFAULT_REASONS)
    assert {r["status"] for r in records(messages, "offers")} == {
        "draft", "sent", "accepted", "declined", "deprecated"}
    cards = records(messages, "scorecards")
    assert all(r["interview_id"] and r["ratings"] and r["notes"] is None for r in cards)
    assert "definitely_not" in {g["rating"] for r in cards for g in r["ratings"]}
    assert not any(key.startswith(("notes", "private_notes", "public_notes"))
                   for r in cards for key in r["raw"])
    selects = [r for r in records(messages, "custom_field_definitions")
               if r["field_type"] == "single_select"]
    assert selects and all(r["options"] for r in selects)

    log = sandbox.log("greenhouse")
    once = Counter(e["path"].rsplit("/", 1)[-1] for e in log if "cursor=" not in e["query"])
    for lookup in ("sources", "rejection_reasons", "job_candidate_attributes",
                   "custom_field_options", "scorecard_candidate_attributes"):
        assert once[lookup] == 1, lookup  # once per run, lookup and stream alike
    # A first sync reads the ratings whole (one page here), not by the ids of each page.
    ratings = [e for e in log if e["path"].endswith("/scorecard_candidate_attributes")]
    assert [parse_qs(e["query"]) for e in ratings] == [{"per_page": ["500"]}]


def test_hiring_team_reads_both_lists_in_one_window(sandbox, tmp_path):
    rc, messages, err = run_tap(sandbox.config("greenhouse", page_size=3), tmp_path)
    assert rc == 0, err[-3000:]
    log = [e for e in sandbox.log("greenhouse")
           if e["path"].endswith(("/job_hiring_managers", "/job_owners"))]
    firsts = [e for e in log if "cursor=" not in e["query"]]
    assert [e["path"].rsplit("/", 1)[-1] for e in firsts] == ["job_hiring_managers",
                                                               "job_owners"]
    windows = [parse_qs(e["query"])["updated_at"][0] for e in firsts]
    assert windows[0] == windows[1] and windows[0].startswith("gte|")
    assert all(set(parse_qs(e["query"])) == {"cursor"} for e in log if e not in firsts)
    assert len(log) > 4  # several pages of each
    team = records(messages, "job_hiring_team")
    assert Counter(r["role"] for r in team).keys() == {"hiring_manager", "recruiter",
                                                       "coordinator", "sourcer"}
    mark = bookmarks(messages)["job_hiring_team", "greenhouse"]
    assert windows[0].split("|")[3].startswith(mark[:19])


def test_incremental_follows_offers_hires_and_rejections(sandbox, tmp_path):
    config = sandbox.config("greenhouse")
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    before = {r["id"]: r for r in records(messages, "offers")}
    done = sandbox.advance(60, "greenhouse")["greenhouse"]
    assert done["hire"] and done["reject"]
    n = len(sandbox.log("greenhouse"))
    rc, again, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err[-3000:]
    fields = {stream: {key: values for _, key, values in rows} for stream, rows in
              json.loads(json.dumps(sandbox.sandbox.apis["greenhouse"].fields())).items()}
    offers = records(again, "offers")
    assert offers
    for row in offers:
        assert {k: row[k] for k in fields["offers"][row["id"]]} == fields["offers"][row["id"]]
    changed = [r for r in offers if r["id"] in before and before[r["id"]]["status"] != r["status"]]
    assert {r["status"] for r in changed} & {"accepted", "declined", "deprecated"}
    assert any(r["id"] not in before for r in offers)  # moves into the last stage
    for row in records(again, "applications"):
        expected = fields["applications"][row["id"]]
        assert (row["rejection_reason"], row["source"]) == (expected["rejection_reason"],
                                                             expected["source"])
    # Reference lists did not change: their windows bring nothing back.
    for stream in ("departments", "offices", "sources", "rejection_reasons", "job_hiring_team",
                   "custom_field_definitions"):
        assert not records(again, stream), stream
    assert paths(sandbox, n)["/v3/job_owners"] == 1


def test_demographics_when_selected(sandbox, tmp_path):
    config = sandbox.config("greenhouse")
    found = catalog(config, tmp_path, "demographics")
    entry = next(e for e in found["streams"] if e["tap_stream_id"] == "demographics")
    root = next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])
    assert root["selected-by-default"] is False
    rc, messages, err = run_tap(config, tmp_path, catalog=found)
    assert rc == 0, err[-3000:]
    expected = sandbox.sandbox.apis["greenhouse"].demographics()
    got = {(r["account_id"], r["id"]): r for r in records(messages, "demographics")}
    assert got.keys() == expected.keys() and got
    for key, values in expected.items():
        assert {k: got[key][k] for k in values} == values, key
    assert {r["race"] for r in got.values()} <= {EEOC_LABELS[k] for k in EEOC_LABELS}
    assert {m["stream"] for m in messages if m["type"] == "RECORD"} == {"demographics"}
    eeoc = [e for e in sandbox.log("greenhouse") if e["path"].endswith("/v3/eeoc")]
    assert eeoc and "updated_at=gte" in eeoc[0]["query"]


def test_scorecard_notes_when_asked_for(sandbox, tmp_path):
    config = sandbox.config("greenhouse", include_scorecard_notes=True)
    rc, messages, err = run_tap(config, tmp_path, catalog=catalog(config, tmp_path,
                                                                  "scorecards"))
    assert rc == 0, err[-3000:]
    world = sandbox.sandbox.apis["greenhouse"].world("greenhouse")
    notes = {str(gid("scorecard", c.id)): c.notes for c in world.scorecards}
    cards = records(messages, "scorecards")
    assert cards and all(r["notes"] == notes[r["id"]] for r in cards)
    assert any(r["notes"] for r in cards) and all("notes" in r["raw"] for r in cards)


def test_without_job_owners_the_hiring_team_is_skipped_then_comes_back_whole(sandbox, tmp_path):
    """Half a team would stay half once the bookmark moved: the stream waits for both lists."""
    sandbox.faults(forbidden=["/v3/job_owners"])
    config = sandbox.config("greenhouse")
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("greenhouse")
    for stream in (s for s in truth if s not in ("stage_visits", "hires", "job_hiring_team")):
        assert keys(messages, stream) == truth_keys(truth, stream), stream
    lines = warnings(err, "Skipped stream job_hiring_team")
    assert len(lines) == 1 and "/v3/job_owners answered 403" in lines[0], err[-3000:]
    assert "harvest:job_owners:list" in lines[0]
    assert ("job_hiring_team", "greenhouse") not in bookmarks(messages)
    sandbox.faults()
    rc, again, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err[-3000:]
    assert keys(again, "job_hiring_team") == truth_keys(truth, "job_hiring_team")


def test_without_sources_names_stay_null_and_ids_land(sandbox, tmp_path):
    sandbox.faults(forbidden=["/v3/sources"])
    rc, messages, err = run_tap(sandbox.config("greenhouse"), tmp_path)
    assert rc == 0, err[-3000:]
    apps = records(messages, "applications")
    assert apps and all(r["source"] is None and r["source_id"] for r in apps)
    assert any(r["rejection_reason"] for r in apps)  # the other lookup is fine
    assert not records(messages, "sources")
    lookup = warnings(err, "Account greenhouse: /v3/sources answered 403")
    assert len(lookup) == 1 and "applications.source stay null" in lookup[0], err[-3000:]
    assert len(warnings(err, "Skipped stream sources")) == 1


def test_without_ratings_scorecards_land_with_ratings_null(sandbox, tmp_path):
    """A refused lookup is asked once, not once per page."""
    sandbox.faults(missing=["/v3/scorecard_candidate_attributes"],
                   forbidden=["/v3/custom_field_options"])
    rc, messages, err = run_tap(sandbox.config("greenhouse", page_size=25), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("greenhouse")
    cards = records(messages, "scorecards")
    assert keys(messages, "scorecards") == truth_keys(truth, "scorecards")
    assert all(r["ratings"] is None and r["interview_id"] for r in cards)
    assert paths(sandbox)["/v3/scorecard_candidate_attributes"] == 1
    assert sum(e["path"].endswith("/v3/scorecards") for e in sandbox.log("greenhouse")) > 1
    assert len(warnings(err, "scorecards.ratings stay null")) == 1
    definitions = records(messages, "custom_field_definitions")
    assert all(r["options"] is None if r["field_type"] in ("single_select", "multi_select")
               else r["options"] == [] for r in definitions)
    assert len(warnings(err, "custom_field_definitions.options stay null")) == 1


def test_default_reasons_need_include_defaults(sandbox):
    """The sandbox, as Greenhouse documents it: defaults only when asked for."""
    import requests

    config = sandbox.config("greenhouse")
    token = requests.post(config["token_url"], auth=(config["client_id"],
                                                     config["client_secret"]),
                          data={"grant_type": "client_credentials", "sub": config["user_id"]},
                          timeout=10).json()["access_token"]

    def names(**params: str) -> set[str]:
        answer = requests.get(f"{config['api_url']}/v3/rejection_reasons", params=params,
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        return {r["name"] for r in answer.json()}

    assert not names() & set(DEFAULT_REASONS)
    assert names(include_defaults="true") >= set(DEFAULT_REASONS)
