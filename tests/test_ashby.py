"""Ashby against the sandbox: POST bodies, sync tokens, scoped keys, then through Meltano."""

from __future__ import annotations

import base64
import json

from conftest import (
    assert_fields_match,
    assert_visits_match_truth,
    discovered_streams,
    last_state,
    records,
    run_tap,
)

STREAMS = ["applications", "application_stages", "jobs", "job_stages", "job_hiring_team",
           "interviews", "candidates", "users", "offers", "departments", "offices", "sources",
           "rejection_reasons", "custom_field_definitions"]
#: The lists whose endpoint takes a sync token, and those read in full on every run.
TOKENED = ["/application.list", "/candidate.list", "/job.list", "/interviewSchedule.list",
           "/offer.list", "/user.list", "/customField.list"]
FULL = ["/department.list", "/location.list", "/source.list", "/archiveReason.list"]


def bodies(log: list[dict], path: str) -> list[dict]:
    """The JSON bodies POSTed to ``path``."""
    return [json.loads(e.get("body") or "{}") for e in log if e["path"].endswith(path)]


def tokens(state: dict) -> dict[str, str]:
    """Stream -> the sync token its partition holds."""
    return {stream: p["sync_token"] for stream, entry in state["bookmarks"].items()
            for p in entry.get("partitions", []) if "sync_token" in p}


def test_discover_lists_what_ashby_serves(sandbox, tmp_path):
    assert discovered_streams(sandbox.config("ashby"), tmp_path) == set(STREAMS)


def test_first_sync_posts_json_with_basic_auth_and_equals_truth(sandbox, tmp_path):
    rc, messages, err = run_tap(sandbox.config("ashby", page_size=30), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("ashby")
    for stream in STREAMS:
        got = {(r["account_id"], r["id"]) for r in records(messages, stream)}
        assert got == {tuple(k) for k in truth[stream]["ids"]}, stream
    assert_fields_match(sandbox, "ashby", messages)
    log = sandbox.log("ashby")
    assert {e["method"] for e in log} == {"POST"} and not any(e["query"] for e in log)
    pages = bodies(log, "/application.list")
    assert len(pages) == 7 and all(b["limit"] == 30 and "syncToken" not in b for b in pages)
    assert "cursor" not in pages[0] and all(b["cursor"] for b in pages[1:])
    assert set(tokens(last_state(messages))) == {
        "applications", "candidates", "jobs", "interviews", "offers", "users",
        "custom_field_definitions"}
    jobs = records(messages, "jobs")
    assert all(len(j["stages"]) == 5 for j in jobs)
    assert len(bodies(log, "/interviewStage.list")) == len(jobs)


def test_incremental_sends_the_sync_token_and_reads_only_changes(sandbox, tmp_path):
    config = sandbox.config("ashby")
    _, messages, _ = run_tap(config, tmp_path)
    state = last_state(messages)
    sandbox.advance(8, "ashby")
    n = len(sandbox.log("ashby"))
    rc, messages, err = run_tap(config, tmp_path, state)
    assert rc == 0, err[-3000:]
    log = sandbox.log("ashby")[n:]
    for path, stream in (("/application.list", "applications"), ("/job.list", "jobs")):
        assert [b["syncToken"] for b in bodies(log, path)] == [tokens(state)[stream]]
    apps = records(messages, "applications")
    assert 0 < len(apps) <= 8
    new = tokens(last_state(messages))
    assert new["applications"] != tokens(state)["applications"]
    truth = {k for _, k in sandbox.truth("ashby")["applications"]["ids"]}
    assert {r["id"] for r in apps} <= truth


def test_a_no_change_run_asks_each_list_once(sandbox, tmp_path):
    config = sandbox.config("ashby")
    _, messages, _ = run_tap(config, tmp_path)
    n = len(sandbox.log("ashby"))
    rc, messages, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err[-3000:]
    log = sandbox.log("ashby")[n:]
    assert sorted(e["path"].removeprefix("/ashby") for e in log) == sorted(TOKENED + FULL)
    assert all(json.loads(e["body"]).get("syncToken") for e in log
               if e["path"].removeprefix("/ashby") in TOKENED)
    assert not records(messages, "applications")


def test_an_expired_sync_token_means_one_full_read_logged(sandbox, tmp_path):
    config = sandbox.config("ashby")
    _, messages, _ = run_tap(config, tmp_path)
    state = last_state(messages)
    sandbox.faults(error_code={"code": "sync_token_expired", "paths": ["/application.list"],
                               "times": 1})
    n = len(sandbox.log("ashby"))
    rc, messages, err = run_tap(config, tmp_path, state)
    assert rc == 0, err[-3000:]
    warnings = [line for line in err.splitlines() if "sync_token_expired" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0] and "in full" in warnings[0]
    sent = bodies(sandbox.log("ashby")[n:], "/application.list")
    assert sent[0]["syncToken"] and all("syncToken" not in b for b in sent[1:])
    truth = sandbox.truth("ashby")["applications"]["ids"]
    assert {(r["account_id"], r["id"]) for r in records(messages, "applications")} == {
        tuple(k) for k in truth}
    assert tokens(last_state(messages))["applications"] != tokens(state)["applications"]
    assert not records(messages, "candidates")  # the other streams stayed incremental


def test_a_key_without_a_module_permission_skips_that_stream(sandbox, tmp_path):
    config = sandbox.config("ashby")
    _, messages, _ = run_tap(config, tmp_path)
    state = last_state(messages)
    sandbox.faults(forbidden=["/offer.list"])
    rc, messages, err = run_tap(config, tmp_path, state)
    assert rc == 0, err[-3000:]
    lines = [line for line in err.splitlines() if "offer.list" in line and "WARNING" in line]
    assert len(lines) == 1 and "offersRead" in lines[0], err[-3000:]
    assert tokens(last_state(messages))["offers"] == tokens(state)["offers"]
    assert "Traceback" not in err


def test_a_wrong_key_is_one_line_naming_the_setting(sandbox, tmp_path):
    rc, _, err = run_tap(sandbox.config("ashby", api_key="wrong"), tmp_path)
    assert rc == 1
    assert "Check setting 'api_key'" in err and "wrong" not in err.replace("'wrong'", "")


def test_the_key_travels_as_basic_user_only(sandbox, tmp_path):
    config = sandbox.config("ashby")
    rc, _, _ = run_tap(config, tmp_path)
    assert rc == 0
    expected = base64.b64encode(f"{config['api_key']}:".encode()).decode()
    assert expected  # the sandbox refuses any other Authorization (401)
    assert all(config["api_key"] not in json.dumps(e) for e in sandbox.log("ashby"))


def test_meltano_full_then_incremental_equals_truth(sandbox, warehouse):
    config = sandbox.config("ashby")
    warehouse.run(config)
    first = sandbox.truth("ashby")
    warehouse.assert_equals_truth(first, STREAMS)
    sandbox.advance(30, "ashby")
    warehouse.run(config)
    truth = sandbox.truth("ashby")
    for stream in STREAMS:
        got, marked = warehouse.keys(stream)
        live = {tuple(k) for k in truth[stream]["ids"]}
        before = {tuple(k) for k in first[stream]["ids"]}
        assert live <= got, (stream, sorted(live - got)[:3])
        assert got - live == before - live, stream  # only rows deleted upstream stay
        assert not marked, stream  # Ashby shows no deletes
    gone = {tuple(k) for k in first["applications"]["ids"]} - {
        tuple(k) for k in truth["applications"]["ids"]}
    assert gone, "the advance should have deleted some applications"
    assert assert_visits_match_truth(warehouse, truth) > 200
