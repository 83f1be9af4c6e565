"""Ashby against the sandbox: POST bodies, sync tokens, native stage history, scoped keys, faults,
then through Meltano."""

from __future__ import annotations

import base64
import json
from bisect import bisect_left
from pathlib import Path

import pytest
import requests
from conftest import (
    assert_fields_match,
    assert_visits_match_truth,
    discovered_streams,
    killed_run,
    last_state,
    records,
    run_tap,
)
from test_reliability import assert_resumed_loses_nothing

STREAMS = ["applications", "application_stages", "jobs", "job_stages", "job_hiring_team",
           "interviews", "candidates", "users", "offers", "scorecards", "departments", "offices",
           "sources", "rejection_reasons", "custom_field_definitions"]
#: The lists whose endpoint takes a sync token, and those read in full on every run.
TOKENED = ["/application.list", "/candidate.list", "/job.list", "/interviewSchedule.list",
           "/offer.list", "/user.list", "/customField.list", "/applicationFeedback.list"]
FULL = ["/department.list", "/location.list", "/source.list", "/archiveReason.list"]
HISTORY = "/application.listHistory"


def bodies(log: list[dict], path: str) -> list[dict]:
    """The JSON bodies POSTed to ``path``."""
    return [json.loads(e.get("body") or "{}") for e in log if e["path"].endswith(path)]


def tokens(state: dict) -> dict[str, str]:
    """Stream -> the sync token its partition holds."""
    return {stream: p["sync_token"] for stream, entry in state["bookmarks"].items()
            for p in entry.get("partitions", []) if "sync_token" in p}


def landed(*runs: list[dict]) -> dict[tuple[str, str], dict]:
    """The stage rows a warehouse holds after ``runs``: the last one of each key wins."""
    return {(r["account_id"], r["id"]): r for messages in runs
            for r in records(messages, "application_stages")}


def visits(rows: dict[tuple[str, str], dict]) -> set[tuple]:
    """(account, application, stage, entered, exited) of each stage row."""
    return {(r["account_id"], r["application_id"], r["stage_id"], r["entered_at"],
             r["exited_at"]) for r in rows.values()}


def truth_visits(*truths: dict) -> set[tuple]:
    """The visits of the truths' live applications (several: those of each, deleted ones kept)."""
    return {(v["account_id"], v["application_id"], v["stage_id"], v["entered_at"],
             v["exited_at"]) for truth in truths for v in truth["stage_visits"]}


def ids(truth: dict, stream: str = "application_stages") -> set[tuple[str, str]]:
    return {tuple(k) for k in truth[stream]["ids"]}


def in_flight(log: list[dict], suffixes: tuple[str, ...], latency_ms: float) -> int:
    """The most requests to paths ending with ``suffixes`` in flight at once, from the log.

    The log stamps each request (``t``) as it arrives; the ``latency_ms`` fault then holds its
    answer that long, and a reader sends its next request only after an answer. So requests
    that arrived less than ``latency_ms`` apart were in flight together, and one reader's own
    requests never are: the most arrivals within such a window count the readers at work.
    """
    starts = sorted(e["t"] for e in log if e["path"].endswith(suffixes))
    window = latency_ms / 1000
    return max((bisect_left(starts, t + window) - n for n, t in enumerate(starts)), default=0)


def resumed_after_kills(sandbox, tmp_path: Path, provider: str, stream: str,
                        kills: list[int], advance: int = 15) -> tuple[dict[str, set], int]:
    """Full sync, then ``advance`` changes and an incremental one, each killed once it wrote
    each count of ``stream`` records in ``kills`` in turn and resumed from the last STATE
    written, to the end; the keys written over all runs, and how many runs were killed."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(sandbox.config(provider, page_size=10, max_concurrency=3)))
    state = tmp_path / "state.json"
    loaded: dict[str, set] = {}
    killed = 0
    for phase in range(2):
        if phase:
            sandbox.advance(advance, provider)
        for count in [*kills, 10**9]:
            messages, was_killed = killed_run(config, state if state.exists() else None,
                                              count, stream)
            killed += was_killed
            for m in messages:
                if m["type"] == "RECORD":
                    loaded.setdefault(m["stream"], set()).add((m["record"]["account_id"],
                                                               m["record"]["id"]))
                elif m["type"] == "STATE":
                    state.write_text(json.dumps(m["value"]))
        assert not was_killed
    return loaded, killed


def test_discover_lists_what_ashby_serves(sandbox, tmp_path):
    assert discovered_streams(sandbox.config("ashby"), tmp_path) == set(STREAMS)


def test_the_sandbox_serves_each_history_paged_and_gone_with_its_application(sandbox):
    config = sandbox.config("ashby")
    auth = {"Authorization": "Basic " + base64.b64encode(
        f"{config['api_key']}:".encode()).decode()}

    def post(endpoint: str, body: dict) -> dict:
        return requests.post(f"{config['api_url']}/{endpoint}", json=body, headers=auth,
                             timeout=10).json()

    apps = post("application.list", {})["results"]
    app = max(apps, key=lambda a: a["currentInterviewStage"]["orderInInterviewPlan"])
    whole = post(HISTORY[1:], {"applicationId": app["id"]})
    assert whole["moreDataAvailable"] is False and len(whole["results"]) > 2
    events, body = [], {"applicationId": app["id"], "limit": 2}
    while True:
        page = post(HISTORY[1:], body)
        events += page["results"]
        if not page["moreDataAvailable"]:
            break
        body = {**body, "cursor": page["nextCursor"]}
    assert events == whole["results"]
    assert [e["stageNumber"] for e in events] == list(range(len(events)))
    assert [e["leftStageAt"] for e in events[:-1]] == [e["enteredStageAt"] for e in events[1:]]
    assert events[-1]["leftStageAt"] is None
    assert events[-1]["stageId"] == app["currentInterviewStage"]["id"]
    refused = post(HISTORY[1:], {"applicationId": app["id"], "syncToken": "x"})
    assert refused["success"] is False and refused["errorInfo"]["code"] == "invalid_input"
    unknown = post(HISTORY[1:], {"applicationId": app["job"]["id"]})  # not an application
    assert unknown["errorInfo"]["code"] == "application_not_found"
    sandbox.advance(60, "ashby")
    live = {a["id"] for a in post("application.list", {})["results"]}
    gone = next(a["id"] for a in apps if a["id"] not in live)
    assert post(HISTORY[1:], {"applicationId": gone})["errorInfo"]["code"] == (
        "application_not_found")


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
        "custom_field_definitions", "scorecards"}
    jobs = records(messages, "jobs")
    assert all(len(j["stages"]) == 5 for j in jobs)
    assert len(bodies(log, "/interviewStage.list")) == len(jobs)
    # The native history: one listHistory per application, its events the stage rows.
    apps = records(messages, "applications")
    history = bodies(log, HISTORY)
    assert sorted(b["applicationId"] for b in history) == sorted(a["id"] for a in apps)
    assert all(set(b) == {"applicationId", "limit"} and b["limit"] == 30 for b in history)
    stages = landed(messages)
    assert {r["origin"] for r in stages.values()} == {"native"}
    assert visits(stages) == truth_visits(truth)
    current = [r for r in stages.values() if r["is_current"]]
    assert sorted(r["application_id"] for r in current) == sorted(a["id"] for a in apps)
    assert all(r["exited_at"] is None for r in current)
    assert any(r["exited_at"] for r in stages.values())


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
    # History is read for the applications that changed, and for no other.
    assert sorted(b["applicationId"] for b in bodies(log, HISTORY)) == sorted(
        r["id"] for r in apps)


def test_a_no_change_run_asks_each_list_once(sandbox, tmp_path):
    config = sandbox.config("ashby")
    _, messages, _ = run_tap(config, tmp_path)
    n = len(sandbox.log("ashby"))
    rc, messages, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err[-3000:]
    log = sandbox.log("ashby")[n:]
    assert sorted(e["path"].removeprefix("/ashby") for e in log) == sorted(TOKENED + FULL)
    assert not bodies(log, HISTORY)  # no application changed: no history is read again
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


@pytest.mark.parametrize("fault", ["forbidden", "down"])
def test_plan_stages_refused_or_down_are_asked_once_and_leave_jobs_whole(
        sandbox, tmp_path, fault):
    """Every job lands with its stages null (unknown, not none) and ``job_stages`` is empty;
    the first plan's read is the only one (no other plan is asked); refused: one warning and
    exit 0; down: exit 3, the jobs' token stays and the next run fills the stages."""
    sandbox.faults(**{fault: ["/interviewStage.list"]}, retry_after=0)
    config = sandbox.config("ashby", retry_budget=1)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == (0 if fault == "forbidden" else 3), err[-3000:]
    assert "Traceback" not in err
    jobs = records(messages, "jobs")
    assert len(jobs) > 1 and all(j["stages"] is None for j in jobs)
    assert not records(messages, "job_stages")
    asked = {b["interviewPlanId"] for b in bodies(sandbox.log("ashby"), "/interviewStage.list")}
    assert len(asked) == 1
    warned = [line for line in err.splitlines() if "interviewStage.list" in line
              and "stay null" in line]
    assert len(warned) == 1 and "jobs.stages and job_stages" in warned[0], err[-3000:]
    if fault == "down":
        assert "jobs" not in tokens(last_state(messages))
        sandbox.faults()
        rc, again, err = run_tap(config, tmp_path, last_state(messages))
        assert rc == 0, err[-3000:]
        assert {j["id"] for j in records(again, "jobs")} == {j["id"] for j in jobs}
        assert all(len(j["stages"]) == 5 for j in records(again, "jobs"))


def test_stage_ids_and_visits_equal_truth_after_a_full_sync_and_an_advance(sandbox, tmp_path):
    """The history events' ids are the rows' ids on every run; the changed applications' rows
    are read again in full (a stay that ended gets its exit), the rest stay as loaded."""
    config = sandbox.config("ashby")
    _, first_run, _ = run_tap(config, tmp_path)
    first = sandbox.truth("ashby")
    assert set(landed(first_run)) == ids(first)
    done = sandbox.advance(30, "ashby")["ashby"]
    assert done["move"] and done["delete"], done
    rc, second_run, err = run_tap(config, tmp_path, last_state(first_run))
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("ashby")
    changed = {r["id"] for r in records(second_run, "applications")}
    assert {r["application_id"] for r in landed(second_run).values()} == changed
    rows = landed(first_run, second_run)
    # Every event of every live application, by its id; those of deleted ones stay (unmarked).
    assert ids(truth) <= set(rows)
    assert set(rows) - ids(truth) == ids(first) - ids(truth)
    gone = {a for _, a in ids(first, "applications") - ids(truth, "applications")}
    assert gone and {rows[k]["application_id"] for k in set(rows) - ids(truth)} <= gone
    kept = {v for v in truth_visits(first) if v[1] in gone}
    assert visits(rows) == truth_visits(truth) | kept
    assert sum(r["is_current"] for r in rows.values()) == len(ids(first, "applications") | ids(
        truth, "applications"))


@pytest.mark.parametrize("refusal", [
    {"forbidden": [HISTORY]},
    {"error_code": {"code": "missing_endpoint_permission", "paths": [HISTORY]}},
], ids=["403", "permission-code"])
def test_a_key_without_candidates_read_on_history_skips_it_with_one_line(sandbox, tmp_path,
                                                                         refusal):
    sandbox.faults(**refusal)
    rc, messages, err = run_tap(sandbox.config("ashby"), tmp_path)
    assert rc == 0, err[-3000:]
    lines = [line for line in err.splitlines() if "listHistory" in line and "METRIC" not in line]
    assert len(lines) == 1 and "WARNING" in lines[0], err[-3000:]
    assert "application_stages" in lines[0] and "candidatesRead" in lines[0]
    assert "Traceback" not in err
    assert not records(messages, "application_stages")
    assert len(bodies(sandbox.log("ashby"), HISTORY)) == 1  # not asked again in the run
    truth = sandbox.truth("ashby")
    got = {(r["account_id"], r["id"]) for r in records(messages, "applications")}
    assert got == ids(truth, "applications")
    assert "applications" in tokens(last_state(messages))


def test_a_failed_history_read_keeps_the_applications_token(sandbox, tmp_path):
    """History down: the stream fails (exit 3), no more history is asked in the run, and the
    applications' token stays, so that the next run reads the same applications and histories."""
    config = sandbox.config("ashby", retry_budget=1)
    _, first_run, _ = run_tap(config, tmp_path)
    state, first = last_state(first_run), sandbox.truth("ashby")
    sandbox.advance(8, "ashby")
    sandbox.faults(down=[HISTORY], retry_after=0)
    n = len(sandbox.log("ashby"))
    rc, failed, err = run_tap(config, tmp_path, state)
    assert rc == 3, err[-3000:]
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if "application_stages failed" in line]
    asked = {b["applicationId"] for b in bodies(sandbox.log("ashby")[n:], HISTORY)}
    assert len(asked) == 1  # the one that gave up; no other is asked in this run
    changed = {r["id"] for r in records(failed, "applications")}
    assert changed and not records(failed, "application_stages")
    after = tokens(last_state(failed))
    assert after["applications"] == tokens(state)["applications"]
    assert after["candidates"] != tokens(state)["candidates"]  # the other streams moved on
    sandbox.faults()
    rc, again, err = run_tap(config, tmp_path, last_state(failed))
    assert rc == 0, err[-3000:]
    assert {r["id"] for r in records(again, "applications")} == changed
    assert {r["application_id"] for r in landed(again).values()} == changed
    truth = sandbox.truth("ashby")
    rows = landed(first_run, again)
    assert ids(truth) <= set(rows)
    gone = {a for _, a in ids(first, "applications") - ids(truth, "applications")}
    assert visits(rows) == truth_visits(truth) | {v for v in truth_visits(first) if v[1] in gone}


def test_an_application_gone_before_its_history_is_skipped(sandbox, tmp_path):
    sandbox.faults(error_code={"code": "application_not_found", "paths": [HISTORY], "times": 1})
    rc, messages, err = run_tap(sandbox.config("ashby"), tmp_path)
    assert rc == 0, err[-3000:]
    first = bodies(sandbox.log("ashby"), HISTORY)[0]["applicationId"]
    truth = sandbox.truth("ashby")
    rows = landed(messages)
    assert {r["application_id"] for r in rows.values()} == {
        a for _, a in ids(truth, "applications")} - {first}
    assert visits(rows) == {v for v in truth_visits(truth) if v[1] != first}


def test_a_fault_mix_still_lands_the_truth(sandbox, tmp_path):
    """429s, 503s, dropped connections, cut bodies, empty pages and paged histories (3 events a
    page), over a full sync and an incremental one: every row and visit of the truth lands."""
    sandbox.faults(**{"429": 0.1, "5xx": 0.05, "drop": 0.02, "malformed": 0.02,
                      "empty_pages": 0.05, "retry_after": 0})
    config = sandbox.config("ashby", page_size=3)
    rc, first_run, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    first = sandbox.truth("ashby")
    assert set(landed(first_run)) == ids(first)
    assert visits(landed(first_run)) == truth_visits(first)
    sandbox.advance(20, "ashby")
    rc, second_run, err = run_tap(config, tmp_path, last_state(first_run))
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("ashby")
    rows = landed(first_run, second_run)
    assert set(rows) - ids(truth) == ids(first) - ids(truth) and ids(truth) <= set(rows)
    gone = {a for _, a in ids(first, "applications") - ids(truth, "applications")}
    assert visits(rows) == truth_visits(truth) | {v for v in truth_visits(first) if v[1] in gone}
    history = [e for e in sandbox.log("ashby") if e["path"].endswith(HISTORY)]
    assert any(json.loads(e["body"]).get("cursor") for e in history)  # histories were paged
    hit = {str(e["status"]) for e in history} - {"200"}
    assert len(hit) >= 2, hit  # the history reads met faults too


@pytest.mark.parametrize("workers", [1, 3])
def test_history_reads_overlap_up_to_max_concurrency(sandbox, tmp_path, workers):
    """With latency, up to ``max_concurrency`` history reads are in flight at once (the log
    shows it), the rows are the same, and ``max_concurrency: 1`` reads one after another."""
    sandbox.faults(latency_ms=30)
    rc, messages, err = run_tap(sandbox.config("ashby", max_concurrency=workers), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("ashby")
    assert set(landed(messages)) == ids(truth)
    assert visits(landed(messages)) == truth_visits(truth)
    log = sandbox.log("ashby")
    history = [b["applicationId"] for b in bodies(log, HISTORY)]
    assert sorted(history) == sorted(a["id"] for a in records(messages, "applications"))
    at_once = in_flight(log, (HISTORY,), 30)
    assert (1 < at_once <= workers) if workers > 1 else at_once == 1, at_once
    # Written in the applications' order, whatever order the reads answered in.
    order = list(dict.fromkeys(r["application_id"] for r in records(messages,
                                                                   "application_stages")))
    assert order == [a["id"] for a in records(messages, "applications")
                     if a["id"] in set(order)]


def test_killed_mid_history_and_resumed_loses_nothing(sandbox, tmp_path):
    """SIGKILL while the history reads overlap (mid-page, a full sync and an incremental one),
    resume from the last STATE written each time: every row of the truth lands."""
    sandbox.faults(latency_ms=10)
    loaded, killed = resumed_after_kills(sandbox, tmp_path, "ashby", "application_stages",
                                         [1, 3, 25])
    assert killed >= 4
    assert_resumed_loses_nothing("ashby", loaded, sandbox.truth("ashby"))


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
    # The warehouse keeps the deleted applications' stage rows, so the view shows them too.
    kept = [v for v in first["stage_visits"] if (v["account_id"], v["application_id"]) in gone]
    assert assert_visits_match_truth(
        warehouse, {"stage_visits": truth["stage_visits"] + kept}) > 600
