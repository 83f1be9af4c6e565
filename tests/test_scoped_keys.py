"""A key that may not read one stream: the others land, one warning, and the run exits 0.

The sandbox's ``forbidden`` (403) and ``missing`` (404) faults refuse the paths a scoped key
(Greenhouse's per-endpoint permissions, Merge's Common Model scopes, Kombo's per-integration
models) cannot read. Every other stream must equal the truth, the skipped stream's bookmark
must stay where it was (so that granting the permission brings it back in full), and only a
401, retries run out, or a key that can read nothing fail an account (exit 3: the other
accounts are in).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import records, run_tap
from test_reliability import streams_of
from test_security import bookmarks, error_line

#: Per provider: a stream the key may not read, the fault that refuses it, and its path.
SCOPED = {
    "greenhouse": ("users", {"forbidden": ["/v3/users"]}, "/greenhouse/v3/users"),
    "kombo": ("interviews", {"forbidden": ["/ats/interviews"]}, "/kombo/v1/ats/interviews"),
    "merge": ("users", {"missing": ["/users"]}, "/merge/api/ats/v1/users"),
    "ashby": ("offers", {"forbidden": ["/offer.list"]}, "/ashby/offer.list"),
}


def keyed(messages: list[dict], stream: str) -> set[tuple[str, str]]:
    return {(r["account_id"], r["id"]) for r in records(messages, stream)}


def truth_ids(truth: dict[str, Any], stream: str) -> set[tuple[str, str]]:
    return {tuple(k) for k in truth[stream]["ids"]}


def warnings(err: str, text: str) -> list[str]:
    return [line for line in err.splitlines() if "WARNING" in line and text in line]


def report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())["accounts"]


@pytest.mark.parametrize("provider", list(SCOPED))
def test_a_stream_the_key_cannot_read_is_skipped_and_comes_back_once_granted(
        sandbox, tmp_path, provider):
    stream, fault, path = SCOPED[provider]
    sandbox.faults(**fault)
    out = tmp_path / "report.json"
    rc, messages, err = run_tap(sandbox.config(provider, run_report=str(out)), tmp_path)
    assert rc == 0, err[-3000:]
    assert "Traceback" not in err and "tap-ats: error:" not in err
    truth = sandbox.truth(provider)
    accounts = {a for a, _ in truth["applications"]["ids"]}
    for other in streams_of(truth):
        if other != stream:
            assert keyed(messages, other) == truth_ids(truth, other), other
    assert keyed(messages, stream) == set()
    lines = warnings(err, f"Skipped stream {stream}")
    assert len(lines) == len(accounts), lines
    assert all(path in line and "To read it," in line for line in lines)
    assert {a for a in accounts if any(a in line for line in lines)} == accounts
    moved = bookmarks(messages)
    assert {s for s, _ in moved if s == stream} == set()
    assert {("applications", a) for a in accounts} <= set(moved)
    outcomes = report(out)
    assert {a: o["status"] for a, o in outcomes.items()} == dict.fromkeys(accounts, "partial")
    for account in accounts:
        streams = outcomes[account]["streams"]
        assert streams[stream]["status"] == "skipped" and streams[stream]["records"] == 0
        assert streams[stream]["http_status"] == (403 if "forbidden" in fault else 404)
        assert streams["applications"] == {
            **streams["applications"], "status": "ok",
            "records": len({k for k in keyed(messages, "applications") if k[0] == account})}
        assert streams["applications"]["requests"] >= 1

    sandbox.faults()
    state = [m["value"] for m in messages if m["type"] == "STATE"][-1]
    rc, again, err = run_tap(sandbox.config(provider), tmp_path, state)
    assert rc == 0, err[-3000:]
    assert keyed(again, stream) == truth_ids(sandbox.truth(provider), stream)
    assert not warnings(err, "Skipped stream")


def test_greenhouse_without_interviewers_keeps_interviews_with_panels_null(sandbox, tmp_path):
    """The issue's case: /v3/interviewers 404 cost jobs and job stages too; now nothing is lost."""
    sandbox.faults(missing=["/v3/interviewers"])
    out = tmp_path / "report.json"
    rc, messages, err = run_tap(sandbox.config("greenhouse", run_report=str(out)), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("greenhouse")
    for stream in streams_of(truth):
        assert keyed(messages, stream) == truth_ids(truth, stream), stream
    interviews = records(messages, "interviews")
    assert interviews and all(r["interviewer_ids"] is None for r in interviews)
    assert all(r["title"] and r["stage_id"] for r in interviews)
    lines = warnings(err, "/v3/interviewers")
    assert len(lines) == 1 and "interviews.interviewer_ids stay null" in lines[0], lines
    assert "harvest:interviewers:list" in lines[0]
    assert ("interviews", "greenhouse") in bookmarks(messages)
    (account,) = report(out).values()
    assert account["status"] == "partial"
    assert account["streams"]["interviews"]["refused_lookups"] == ["/v3/interviewers"]


def test_greenhouse_without_stages_skips_job_stages_and_leaves_names_null(sandbox, tmp_path):
    sandbox.faults(forbidden=["/v3/job_interview_stages"])
    rc, messages, err = run_tap(sandbox.config("greenhouse"), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("greenhouse")
    assert records(messages, "job_stages") == []
    for stream in ("applications", "application_stages", "jobs", "interviews", "candidates"):
        assert keyed(messages, stream) == truth_ids(truth, stream), stream
    assert all(r["stages"] is None for r in records(messages, "jobs"))
    assert all(r["stage_name"] is None and r["stage_id"]
               for r in records(messages, "application_stages"))
    assert all(r["current_stage_id"] is None and r["current_stage_name"]
               for r in records(messages, "applications"))
    assert len(warnings(err, "Skipped stream job_stages")) == 1
    lookup = warnings(err, "Account greenhouse: /v3/job_interview_stages answered 403")
    assert len(lookup) == 1 and "jobs.stages" in lookup[0], err[-3000:]


def test_greenhouse_without_rejection_details_leaves_reasons_null(sandbox, tmp_path):
    sandbox.faults(forbidden=["/v3/rejection_details"])
    rc, messages, err = run_tap(sandbox.config("greenhouse"), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("greenhouse")
    assert keyed(messages, "applications") == truth_ids(truth, "applications")
    apps = records(messages, "applications")
    assert any(r["status"] == "rejected" for r in apps)
    assert all(r["rejection_reason_id"] is None and r["rejection_reason"] is None for r in apps)
    assert all(r["current_stage_id"] for r in apps)
    lookup = warnings(err, "Account greenhouse: /v3/rejection_details answered 403")
    assert len(lookup) == 1 and "applications.rejection_reason_id" in lookup[0], err[-3000:]
    assert "harvest:rejection_details:list" in lookup[0]
    assert ("applications", "greenhouse") in bookmarks(messages)


def test_merge_expand_refused_reads_the_stream_without_it(sandbox, tmp_path):
    sandbox.faults(forbidden=["/applications?expand"])
    rc, messages, err = run_tap(sandbox.config("merge"), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("merge")
    for stream in streams_of(truth):
        assert keyed(messages, stream) == truth_ids(truth, stream), stream
    apps = records(messages, "applications")
    assert all(r["current_stage_name"] is None and r["current_stage_id"] for r in apps)
    assert all(r["stage_name"] is None for r in records(messages, "application_stages"))
    assert all(r["job_id"] for r in records(messages, "interviews"))  # its own expand was fine
    lines = warnings(err, "?expand=current_stage,reject_reason was refused")
    assert len(lines) == 2 and all("RejectReason" in line for line in lines), lines
    log = [e for e in sandbox.log("merge") if e["path"].endswith("/applications")]
    assert [e["status"] for e in log if "expand=" in e["query"]] == ["forbidden", "forbidden"]


def test_one_accounts_scope_leaves_the_other_account_whole(sandbox, tmp_path):
    config = sandbox.config("merge")
    sandbox.faults(missing=["/users"], refuse_account=config["account_tokens"][1])
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("merge")
    got = {a for a, _ in keyed(messages, "users")}
    assert len(got) == 1 and len(warnings(err, "Skipped stream users")) == 1
    assert keyed(messages, "applications") == truth_ids(truth, "applications")


def test_fail_on_skipped_streams_exits_3_naming_them(sandbox, tmp_path):
    _, fault, _ = SCOPED["kombo"]
    sandbox.faults(**fault)
    rc, messages, err = run_tap(sandbox.config("kombo", fail_on_skipped_streams=True), tmp_path)
    assert rc == 3
    line = error_line(err)
    assert "2 stream(s) skipped" in line and "fail_on_skipped_streams" in line, line
    assert keyed(messages, "applications") == truth_ids(sandbox.truth("kombo"), "applications")
    assert ("interviews" not in {s for s, _ in bookmarks(messages)})


def test_a_key_that_can_read_nothing_fails_the_account(sandbox, tmp_path):
    """ATZ CRM reads /v1/candidate and /v1/activity: both refused, the account read nothing."""
    sandbox.faults(forbidden=["/v1/candidate", "/v1/activity"])
    out = tmp_path / "report.json"
    rc, messages, err = run_tap(sandbox.config("atzcrm", run_report=str(out)), tmp_path)
    assert rc == 3
    assert "can read none of them" in error_line(err)
    assert bookmarks(messages) == {}
    assert report(out)["atzcrm"]["status"] == "failed"


@pytest.mark.parametrize("provider", ["kombo", "merge"])
def test_a_401_still_fails_the_account(sandbox, tmp_path, provider):
    """A wrong credential is no scope: Kombo's shared key ends the run, a Merge token its own."""
    config = sandbox.config(provider)
    if provider == "kombo":
        config["api_key"] = "wrong"
    else:
        config["account_tokens"] = [*config["account_tokens"], "revoked-token"]
    out = tmp_path / "report.json"
    rc, _, err = run_tap({**config, "run_report": str(out)}, tmp_path)
    assert rc == (1 if provider == "kombo" else 3)  # the whole run, or one account of it
    line = error_line(err)
    assert "401" in line and "Skipped stream" not in err, line
    if provider == "merge":
        outcomes = report(out)
        assert outcomes["account token #3"]["status"] == "failed"
        assert sorted(o["status"] for o in outcomes.values()) == ["failed", "ok", "ok"]


def test_a_stream_that_breaks_does_not_stop_the_accounts_other_streams(
        listener, sandbox, tmp_path):
    """Interviews answer a body without its envelope: that stream fails, the others are read."""
    listener.respond({"status": "success", "data": {"next": None, "results": []}})
    listener.respond({"status": "success", "warnings": []}, path="/v1/ats/interviews")
    out = tmp_path / "report.json"
    config = sandbox.config("kombo", api_url=f"{listener.url}/v1", run_report=str(out))
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 3
    assert "without the envelope" in error_line(err)
    moved = bookmarks(messages)
    assert "interviews" not in {s for s, _ in moved}
    assert {(s, a) for s in ("applications", "jobs", "candidates")
            for a in config["integration_ids"]} <= set(moved)
    for outcome in report(out).values():
        assert outcome["status"] == "failed"
        assert outcome["streams"]["interviews"]["status"] == "failed"
        assert outcome["streams"]["jobs"]["status"] == "ok"


@pytest.mark.parametrize("value", ["/v3/users", ["v3/users"], [7]])
def test_the_refusal_faults_take_a_list_of_paths(sandbox, value):
    answer = requests.post(f"{sandbox.url}/_sandbox/faults", json={"forbidden": value},
                           timeout=10)
    assert answer.status_code == 400 and "list of paths" in answer.text
