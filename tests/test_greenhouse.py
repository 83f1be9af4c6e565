"""Greenhouse Harvest v3 against the sandbox: wire details, then end to end through Meltano."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import (
    TAP,
    SandboxClient,
    assert_fields_match,
    assert_visits_match_truth,
    discovered_streams,
    last_state,
    records,
    run_tap,
)

from tap_ats.sandbox.demo import fetch
from tap_ats.sandbox.greenhouse import GreenhouseAPI
from tap_ats.sandbox.server import Sandbox
from tap_ats.sandbox.world import Panelist, now

#: The streams read by default (``demographics`` is read only when selected).
STREAMS = ["applications", "application_stages", "jobs", "job_stages", "interviews", "candidates",
           "users", "offers", "departments", "offices", "rejection_reasons", "sources",
           "job_hiring_team", "scorecards", "custom_field_definitions"]
#: Their list paths (the hiring team reads two lists).
PATHS = {f"/greenhouse/v3/{p}" for p in ("applications", "application_stages", "jobs",
                                          "job_interview_stages", "interviews", "candidates",
                                          "users", "offers", "departments", "offices",
                                          "rejection_reasons", "sources", "job_hiring_managers",
                                          "job_owners", "scorecards", "custom_fields")}
LOOKUPS = {f"/greenhouse/v3/{p}" for p in ("interviewers", "job_interviews")}
#: The lists that are lookups and streams at once: read once, whole, serving both.
SERVED = {f"/greenhouse/v3/{p}" for p in ("job_interview_stages", "rejection_reasons", "sources")}
TOKEN_PATH = "/greenhouse/auth/token"


def keys(messages: list[dict], stream: str) -> set[tuple[str, str]]:
    return {(r["account_id"], r["id"]) for r in records(messages, stream)}


def truth_keys(truth: dict, stream: str) -> set[tuple[str, str]]:
    return {tuple(k) for k in truth[stream]["ids"]}


def token_requests(sandbox: SandboxClient) -> int:
    return sum(e["path"] == TOKEN_PATH for e in sandbox.log("greenhouse"))


def window(entry: dict) -> list[str]:
    """The ``updated_at`` filter of a logged request, split on its pipes."""
    return parse_qs(entry["query"])["updated_at"][0].split("|")


def test_discover_lists_only_what_greenhouse_serves(sandbox, tmp_path):
    assert discovered_streams(sandbox.config("greenhouse"), tmp_path) == {*STREAMS, "demographics"}


def test_small_pages_follow_links_alone_and_every_row_arrives(sandbox, tmp_path):
    """page_size 7 forces many pages; a cursor sent with any other parameter would be a 422."""
    rc, messages, err = run_tap(sandbox.config("greenhouse", page_size=7), tmp_path)
    assert rc == 0, err
    truth = sandbox.truth("greenhouse")
    for stream in STREAMS:
        assert keys(messages, stream) == truth_keys(truth, stream), stream
    log = [e for e in sandbox.log("greenhouse") if e["path"] in PATHS]
    assert all(e["status"] == 200 for e in log)
    pages = [e for e in log if "cursor=" in e["query"]]
    assert len(pages) > 50
    assert all(set(parse_qs(e["query"])) == {"cursor"} for e in pages)
    firsts = [parse_qs(e["query"]) for e in log if "cursor=" not in e["query"]]
    assert all("per_page" in q for q in firsts)
    stream_firsts = [e for e in log if "per_page=7&" in e["query"]]
    assert {e["path"] for e in stream_firsts} == PATHS - SERVED
    for entry in stream_firsts:
        ops = window(entry)
        assert ops[0::2] == ["gte", "lte"] and ops[1] < ops[3]
    served = [e["path"] for e in log if e["path"] in SERVED and "cursor=" not in e["query"]]
    assert sorted(served) == sorted(SERVED)  # each read once, whole, for lookup and stream
    assert token_requests(sandbox) == 1
    first = next(m["record"] for m in messages if m["type"] == "RECORD"
                 and m["stream"] == "application_stages")
    assert first["origin"] == "native" and first["stage_name"] and first["job_id"]


def test_wrong_secret_fails_at_start_with_one_line(sandbox, tmp_path):
    secret = "not-the-right-secret-3f9a"
    rc, messages, err = run_tap(sandbox.config("greenhouse", client_secret=secret), tmp_path)
    assert rc == 1
    assert "Traceback" not in err and secret not in err
    assert not records(messages, "applications")
    lines = [x for x in err.splitlines() if x.startswith("tap-ats: error:")]
    assert len(lines) == 1 and "invalid_client" in lines[0] and "'client_secret'" in lines[0]
    assert [e["path"] for e in sandbox.log("greenhouse")] == [TOKEN_PATH]


def test_token_refreshed_once_after_a_401(sandbox, tmp_path):
    """Tokens revoked mid-run: one 401, one new token, nothing lost."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(sandbox.config("greenhouse", page_size=10)))
    err = (tmp_path / "stderr").open("w+")  # a file: a full stderr pipe would stall the tap
    proc = subprocess.Popen([TAP, "--config", str(config)], stdout=subprocess.PIPE, stderr=err,
                            text=True)
    messages = []
    for line in proc.stdout:
        messages.append(json.loads(line))
        if len(messages) == 20:
            sandbox.sandbox.apis["greenhouse"].revoke_tokens()
    proc.wait()
    err.seek(0)
    assert proc.returncode == 0, err.read()[-2000:]
    assert token_requests(sandbox) == 2
    assert sum(e["status"] == 401 for e in sandbox.log("greenhouse")) == 1
    truth = sandbox.truth("greenhouse")
    for stream in STREAMS:
        assert keys(messages, stream) == truth_keys(truth, stream), stream


def test_a_fresh_token_refused_too_is_fatal_and_says_what_to_check(sandbox, tmp_path):
    sandbox.sandbox.apis["greenhouse"].accept_tokens = False
    rc, _, err = run_tap(sandbox.config("greenhouse"), tmp_path)
    assert rc == 1 and "Traceback" not in err
    line = next(x for x in err.splitlines() if x.startswith("tap-ats: error:"))
    assert "'client_id'" in line and "'user_id'" in line and "Site Admin" in line
    assert token_requests(sandbox) == 2


def test_incremental_asks_from_bookmark_minus_lookback(sandbox, tmp_path):
    config = sandbox.config("greenhouse", lookback_window=10)
    _, messages, _ = run_tap(config, tmp_path)
    state = last_state(messages)
    mark = dt.datetime.fromisoformat(
        state["bookmarks"]["applications"]["partitions"][0]["replication_key_value"])
    sandbox.advance(4, "greenhouse")
    n = len(sandbox.log("greenhouse"))
    before = dt.datetime.now(dt.UTC)
    rc, messages, err = run_tap(config, tmp_path, state)
    assert rc == 0, err
    second = sandbox.log("greenhouse")[n:]
    apps = [e for e in second if e["path"].endswith("/applications")]
    assert len(apps) == 1
    gte, lte = (dt.datetime.fromisoformat(t.replace("Z", "+00:00")) for t in window(apps[0])[1::2])
    wanted = mark - dt.timedelta(minutes=10)
    assert gte == wanted.replace(microsecond=wanted.microsecond // 1000 * 1000)
    assert before - dt.timedelta(seconds=1) <= lte <= dt.datetime.now(dt.UTC)
    assert 0 < len(records(messages, "applications")) <= 4
    # One token, one page per list (the hiring team has two; stages, sources and rejection
    # reasons are read once each whether as lookup or as stream), and either the panel changes
    # of the window or, if interviews changed, one pass over the panels (which also gives
    # their changes) and one over the job interviews (the advance submits no scorecard, so
    # none of their ratings).
    assert len(second) <= 1 + len(PATHS) + 2
    changed = records(messages, "interviews")
    assert sum(e["path"] in LOOKUPS for e in second) == (2 if changed else 1)
    assert all(sum(e["path"] == path for e in second) == 1 for path in SERVED)


def test_full_table_emits_activate_version_and_sends_no_window(sandbox, tmp_path):
    """The purge mode for invisible deletes: FULL_TABLE plus activate-version."""
    config = sandbox.config("greenhouse", emit_activate_version_messages=True)
    cfg = tmp_path / "discover.json"
    cfg.write_text(json.dumps(config))
    catalog = json.loads(subprocess.run([TAP, "--config", str(cfg), "--discover"],
                                        capture_output=True, text=True, check=True).stdout)
    for entry in catalog["streams"]:
        entry["replication_method"] = "FULL_TABLE"
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"].update({"selected": True, "replication-method": "FULL_TABLE"})
    rc, messages, err = run_tap(config, tmp_path, catalog=catalog)
    assert rc == 0, err
    activated = {m["stream"] for m in messages if m["type"] == "ACTIVATE_VERSION"}
    assert activated == {*STREAMS, "demographics"}
    versions = {m["stream"]: m["version"] for m in messages if m["type"] == "ACTIVATE_VERSION"}
    assert all(m["version"] == versions[m["stream"]] for m in messages if m["type"] == "RECORD")
    log = [e for e in sandbox.log("greenhouse") if e["path"] in PATHS]
    assert log and not [e for e in log if "updated_at" in e["query"]]
    bookmarks = last_state(messages).get("bookmarks", {})
    assert not any(p.get("replication_key_value") for b in bookmarks.values()
                   for p in b.get("partitions", []))
    truth = sandbox.truth("greenhouse")
    for stream in STREAMS:
        assert keys(messages, stream) == truth_keys(truth, stream), stream


def test_rate_limit_is_never_tripped(tmp_path, monkeypatch):
    """A 5-request window of 0.3 s and many pages: paced from the headers, zero 429s."""
    monkeypatch.setattr(GreenhouseAPI, "rate_limit", 5)
    client = SandboxClient(Sandbox(seed=42, applications=200, rate_limits=True,
                                   time_scale=0.01))
    try:
        rc, messages, err = run_tap(client.config("greenhouse", page_size=25), tmp_path)
        assert rc == 0, err
        log = [e for e in client.log("greenhouse") if e["path"] in PATHS]
        assert len(log) > 30
        assert not [e for e in log if e["status"] == 429]
        truth = client.truth("greenhouse")
        for stream in STREAMS:
            assert keys(messages, stream) == truth_keys(truth, stream), stream
    finally:
        client.server.shutdown()


def _run_until(config: Path, state: Path | None, kill_after: int | None) -> list[dict]:
    """Run the tap; SIGKILL it after ``kill_after`` records; return the messages it wrote."""
    cmd = [TAP, "--config", str(config)] + (["--state", str(state)] if state else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    messages, seen = [], 0
    for line in proc.stdout:
        messages.append(json.loads(line))
        seen += messages[-1]["type"] == "RECORD"
        if kill_after is not None and seen >= kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    return messages


@pytest.mark.parametrize("kill_after", [150, 700])
def test_sigkill_mid_stream_then_resume_loses_nothing(sandbox, tmp_path, kill_after):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(sandbox.config("greenhouse", page_size=10)))
    first = _run_until(config, None, kill_after)
    state = None
    if any(m["type"] == "STATE" for m in first):
        state = tmp_path / "state.json"
        state.write_text(json.dumps(last_state(first)))
    sandbox.advance(10, "greenhouse")
    second = _run_until(config, state, None)
    assert second[-1]["type"] == "STATE"
    truth = sandbox.truth("greenhouse")
    for stream in STREAMS:
        assert truth_keys(truth, stream) <= keys(first, stream) | keys(second, stream), stream


def test_meltano_full_then_incremental_equals_truth(sandbox, warehouse):
    config = sandbox.config("greenhouse")
    warehouse.run(config)
    first = sandbox.truth("greenhouse")
    warehouse.assert_equals_truth(first, STREAMS)
    fields = fetch(f"{sandbox.url}/_sandbox/fields/greenhouse")
    loaded = {(a, i): (title, stage, organizer, json.loads(ids) if isinstance(ids, str) else ids)
              for a, i, title, stage, organizer, ids in warehouse.query(
                  "select account_id, id, title, stage_id, organizer_id, interviewer_ids "
                  "from tap_ats.interviews")}
    assert loaded == {(a, i): (v["title"], v["stage_id"], v["organizer_id"], v["interviewer_ids"])
                      for a, i, v in fields["interviews"]}
    users = {(a, i): (n, e, act) for a, i, n, e, act in warehouse.query(
        "select account_id, id, name, email, active from tap_ats.users")}
    assert users == {(a, i): (v["name"], v["email"], v["active"]) for a, i, v in fields["users"]}
    assert not warehouse.query("select id from tap_ats.interviews i where organizer_id not in "
                               "(select id from tap_ats.users)")
    sandbox.advance(30, "greenhouse")
    warehouse.run(config)
    truth = sandbox.truth("greenhouse")
    for stream in STREAMS:
        got, marked = warehouse.keys(stream)
        live, before = truth_keys(truth, stream), truth_keys(first, stream)
        assert live <= got, (stream, sorted(live - got)[:3])
        assert got - live == before - live, stream  # exactly the rows deleted upstream stay
        assert not marked, stream  # Greenhouse shows no deletes: nothing is marked
    deleted = {app for _, app in truth_keys(first, "applications")
               - truth_keys(truth, "applications")}
    assert deleted, "the advance should have deleted some applications"
    # The warehouse keeps the deleted applications' stage rows, so the view shows them too.
    kept = [v for v in first["stage_visits"] if v["application_id"] in deleted]
    visits = assert_visits_match_truth(warehouse, {"stage_visits": truth["stage_visits"] + kept})
    assert visits > 600 and any(v["exited_at"] for v in truth["stage_visits"])


def test_interviews_complete_and_joined_to_users(sandbox, tmp_path):
    """Title, stage and panel from the lookups, at one pass over each per run; ids join users."""
    rc, messages, err = run_tap(sandbox.config("greenhouse", page_size=20), tmp_path)
    assert rc == 0, err
    fields = assert_fields_match(sandbox, "greenhouse", messages)
    users = keys(messages, "users")
    interviews = records(messages, "interviews")
    assert all(("greenhouse", r["organizer_id"]) in users for r in interviews)
    assert all({("greenhouse", u) for u in r["interviewer_ids"]} <= users for r in interviews)
    assert any(len(r["interviewer_ids"]) > 1 for r in interviews)
    log = sandbox.log("greenhouse")
    panel_pages = [e for e in log if e["path"].endswith("/interviewers")]
    truth_panel = sum(len(v["interviewer_ids"]) for _, _, v in fields["interviews"])
    full = [e for e in panel_pages if "updated_at" not in e["query"]]
    assert len([e for e in full if "cursor=" not in e["query"]]) == 1
    assert len(full) == -(-truth_panel // 500)
    assert panel_pages == full  # the window's panel changes are found in that one read
    assert sum(e["path"].endswith("/job_interviews") for e in log) == 1
    inactive = [r for r in records(messages, "users") if r["active"] is False]
    assert inactive and all(r["raw"]["deactivated"] for r in inactive)


def test_a_panel_change_alone_brings_its_interview_back(sandbox, tmp_path):
    """Greenhouse keeps panels apart: a new interviewer need not touch the interview."""
    config = sandbox.config("greenhouse")
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err
    world = sandbox.sandbox.apis["greenhouse"].world("greenhouse")
    interview = world.interviews[3]
    newcomer = next(u for u in world.users if u not in interview.interviewer_ids)
    at = now()
    world.panel.append(Panelist(world.panel[-1].id + 1, interview.id, newcomer, at, at))
    n = len(sandbox.log("greenhouse"))
    rc, messages, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err
    got = records(messages, "interviews")
    assert [r["id"] for r in got] == [str(40_000_000 + interview.id)]
    assert got[0]["interviewer_ids"][-1] == str(1_000 + newcomer)
    by_id = [e for e in sandbox.log("greenhouse")[n:] if e["path"].endswith("/v3/interviews")
             and "ids=" in e["query"]]
    assert len(by_id) == 1
