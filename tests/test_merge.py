"""Merge against the sandbox: linked accounts, wire details, then end to end through Meltano."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from urllib.parse import parse_qs

import requests
from conftest import (
    assert_fields_match,
    assert_visits_match_truth,
    discovered_streams,
    last_state,
    records,
    run_tap,
)

from tap_ats.sandbox.demo import meltano_env, meltano_run
from tap_ats.sandbox.merge import API_KEY, REVOKED_TOKEN, TOKENS

STREAMS = ["applications", "application_stages", "jobs", "job_stages", "interviews", "candidates",
           "users"]
#: The analytics streams (tests/test_merge_entities.py); demographics is read only if selected.
ENTITIES = ["offers", "departments", "offices", "rejection_reasons", "sources", "job_hiring_team",
            "scorecards", "demographics"]
#: Endpoints a run without a catalog reads, one page each in the test world.
ENDPOINTS = len(STREAMS) - 1 + len(ENTITIES) - 3
ACCOUNTS = {account for account, _ in TOKENS.values()}


def test_discover_lists_only_what_merge_serves(sandbox, tmp_path):
    assert discovered_streams(sandbox.config("merge"), tmp_path) == set(STREAMS + ENTITIES)


def test_sandbox_speaks_merges_wire_format(sandbox):
    """Page size bounds, hidden deletes, remote_data on request, filters pinned to a cursor."""
    url = f"{sandbox.url}/merge/api/ats/v1/applications"
    headers = {"Authorization": f"Bearer {API_KEY}", "X-Account-Token": next(iter(TOKENS))}
    sandbox.advance(60, "merge")

    def get(**params: str) -> requests.Response:
        return requests.get(url, params=params, headers=headers, timeout=10)

    assert get(page_size="101").status_code == 400
    first = get().json()
    assert len(first["results"]) == 30 and first["previous"] is None and first["next"]
    assert all(r["remote_data"] is None and uuid.UUID(r["id"]) for r in first["results"])
    assert get(cursor=first["next"], page_size="31").status_code == 400
    assert get(cursor=first["next"]).status_code == 200
    shown = get(page_size="100", include_deleted_data="true", include_remote_data="true")
    assert any(r["remote_was_deleted"] for r in shown.json()["results"])
    assert all(r["remote_data"][0]["data"] for r in shown.json()["results"])
    hidden = get(page_size="100").json()["results"]
    assert not any(r["remote_was_deleted"] for r in hidden)
    bad_key = requests.get(url, headers={**headers, "Authorization": "Bearer x"}, timeout=10)
    assert bad_key.status_code == 401 and bad_key.json() == {"detail": "Invalid API key."}
    revoked = requests.get(url, headers={**headers, "X-Account-Token": REVOKED_TOKEN}, timeout=10)
    assert revoked.status_code == 401


def test_accounts_are_linked_account_ids_and_tokens_never_leave(sandbox, tmp_path):
    config = sandbox.config("merge", page_size=9)
    before = dt.datetime.now(dt.UTC)
    rc, messages, err = run_tap(config, tmp_path)
    after = dt.datetime.now(dt.UTC)
    assert rc == 0, err
    truth = sandbox.truth("merge")
    for stream in STREAMS:
        got = {(r["account_id"], r["id"]) for r in records(messages, stream)}
        assert got == {tuple(k) for k in truth[stream]["ids"]}, stream
    assert {r["account_id"] for r in records(messages, "applications")} == ACCOUNTS
    parts = last_state(messages)["bookmarks"]["applications"]["partitions"]
    assert {p["context"]["account_id"] for p in parts} == ACCOUNTS
    assert all(before <= dt.datetime.fromisoformat(p["replication_key_value"]) <= after
               for p in parts)
    output = json.dumps(messages) + err
    assert not [token for token in TOKENS if token in output]
    pages = [e for e in sandbox.log("merge") if "cursor=" in e["query"]]
    assert len(pages) > 20
    assert all("modified_after=" in e["query"] and "include_deleted_data=true" in e["query"]
               and "page_size=9" in e["query"] for e in pages)


def test_incremental_uses_modified_after_from_each_bookmark(sandbox, tmp_path):
    config = sandbox.config("merge", lookback_window=10)
    _, messages, _ = run_tap(config, tmp_path)
    state = last_state(messages)
    marks = [dt.datetime.fromisoformat(p["replication_key_value"])
             for p in state["bookmarks"]["applications"]["partitions"]]
    sandbox.advance(6, "merge")
    n = len(sandbox.log("merge"))
    rc, messages, err = run_tap(config, tmp_path, state)
    assert rc == 0, err
    second = sandbox.log("merge")[n:]
    assert len(second) == 2 + ENDPOINTS * 2  # account-details per token, one page per endpoint
    sent = {dt.datetime.fromisoformat(parse_qs(e["query"])["modified_after"][0].replace(
        "Z", "+00:00")) for e in second if e["path"].endswith("/applications")}
    assert sent == {m - dt.timedelta(minutes=10) for m in marks}
    assert 0 < len(records(messages, "applications")) <= 6


def test_deleted_rows_carry_deleted_at(sandbox, tmp_path):
    sandbox.advance(60, "merge")
    rc, messages, err = run_tap(sandbox.config("merge"), tmp_path)
    assert rc == 0, err
    deleted = [r for r in records(messages, "applications") if r["deleted_at"]]
    assert deleted and len(deleted) == len(sandbox.truth("merge")["applications"]["deleted_ids"])
    assert all(r["_sdc_deleted_at"] == r["deleted_at"] == r["updated_at"] for r in deleted)


def test_interviews_follow_the_scheduled_interview_object(sandbox, tmp_path):
    rc, messages, _ = run_tap(sandbox.config("merge"), tmp_path)
    assert rc == 0
    interview = records(messages, "interviews")[0]
    raw = interview["raw"]
    assert interview["application_id"] == raw["application"]["id"]
    assert interview["job_id"] == raw["application"]["job"]
    assert interview["stage_id"] == raw["job_interview_stage"]
    assert interview["organizer_id"] == raw["organizer"]
    assert interview["interviewer_ids"] == raw["interviewers"] and raw["interviewers"]
    statuses = {(r["status"], r["raw"]["status"]) for r in records(messages, "interviews")}
    assert statuses == {("scheduled", "SCHEDULED"), ("complete", "COMPLETE"),
                        ("awaiting_feedback", "AWAITING_FEEDBACK")}
    rejected = [r for r in records(messages, "applications") if r["status"] == "rejected"]
    assert rejected and all(r["rejection_reason"] == r["raw"]["reject_reason"]["name"]
                            for r in rejected)


def test_names_come_through_expand_in_the_same_request(sandbox, tmp_path):
    """Stage and reject-reason names, interview jobs and users equal the sandbox's truth."""
    rc, messages, err = run_tap(sandbox.config("merge"), tmp_path)
    assert rc == 0, err
    assert_fields_match(sandbox, "merge", messages)
    observed = records(messages, "application_stages")
    assert observed and all(r["stage_name"] for r in observed)
    log = [e for e in sandbox.log("merge") if not e["path"].endswith("/account-details")]
    assert len(log) == 2 * ENDPOINTS  # one page per endpoint and account
    apps = [e for e in log if e["path"].endswith("/applications")]
    assert all("expand=current_stage%2Creject_reason" in e["query"] for e in apps)
    users = {(r["account_id"], r["id"]) for r in records(messages, "users")}
    for interview in records(messages, "interviews"):
        account = interview["account_id"]
        assert (account, interview["organizer_id"]) in users
        assert {(account, u) for u in interview["interviewer_ids"]} <= users


def test_unknown_expand_is_refused_by_the_sandbox(sandbox):
    """A relation Merge's Job does not have is refused; one it has comes back as objects."""
    url = f"{sandbox.url}/merge/api/ats/v1/jobs"
    headers = {"Authorization": f"Bearer {API_KEY}", "X-Account-Token": next(iter(TOKENS))}
    response = requests.get(url, params={"expand": "stages"}, headers=headers, timeout=10)
    assert response.status_code == 400
    response = requests.get(url, params={"expand": "recruiters"}, headers=headers, timeout=10)
    recruiters = [r for job in response.json()["results"] for r in job["recruiters"]]
    assert response.status_code == 200 and recruiters
    assert all(isinstance(r, dict) and r["email"] for r in recruiters)


def test_revoked_token_fails_alone_and_run_exits_nonzero(sandbox, tmp_path):
    """One revoked token between two good ones: both good accounts sync and move on."""
    config = sandbox.config("merge")
    first, second = config["account_tokens"]
    _, messages, _ = run_tap(config, tmp_path)
    old = {p["context"]["account_id"]: p["replication_key_value"]
           for p in last_state(messages)["bookmarks"]["applications"]["partitions"]}
    config["account_tokens"] = [first, REVOKED_TOKEN, second]
    rc, messages, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 3
    output = json.dumps(messages) + err
    assert "Traceback" not in err
    assert not [token for token in (first, second, REVOKED_TOKEN) if token in output]
    errors = [x for x in err.splitlines() if x.startswith("tap-ats: error:")]
    assert len(errors) == 1 and "account token #2" in errors[0]
    parts = last_state(messages)["bookmarks"]["applications"]["partitions"]
    new = {p["context"]["account_id"]: p["replication_key_value"] for p in parts}
    assert set(new) == ACCOUNTS and all(new[a] > old[a] for a in ACCOUNTS)
    assert {r["account_id"] for r in records(messages, "applications")} <= ACCOUNTS


def test_wrong_api_key_is_one_line(sandbox, tmp_path):
    rc, _, err = run_tap(sandbox.config("merge", api_key="nope"), tmp_path)
    assert rc == 1 and "Traceback" not in err
    line = next(x for x in err.splitlines() if x.startswith("tap-ats: error:"))
    assert "no Merge account could be read" in line and "Check setting 'api_key'" in line


def test_rate_limit_is_never_hit(tmp_path):
    from conftest import SandboxClient

    from tap_ats.sandbox.server import Sandbox

    # 100 requests per 1.2 s per linked account; unpaced, the tap would send several hundred.
    limited = SandboxClient(Sandbox(seed=3, applications=300, rate_limits=True,
                                    time_scale=0.02))
    rc, messages, err = run_tap(limited.config("merge", page_size=2), tmp_path)
    assert rc == 0, err
    log = limited.log("merge")
    assert len(log) > 300 and not [e for e in log if e["status"] == 429]
    assert len(records(messages, "applications")) == 300
    limited.server.shutdown()


def test_meltano_two_accounts_full_then_incremental_equals_truth(sandbox, warehouse):
    config = sandbox.config("merge")
    warehouse.run(config)
    warehouse.assert_equals_truth(sandbox.truth("merge"), STREAMS)
    sandbox.advance(30, "merge")
    warehouse.run(config)
    truth = sandbox.truth("merge")
    warehouse.assert_equals_truth(truth, STREAMS)
    assert truth["applications"]["deleted_ids"]
    assert_visits_match_truth(warehouse, truth)


def test_meltano_with_a_revoked_account_loads_the_good_one(sandbox, warehouse):
    config = sandbox.config("merge")
    config["account_tokens"] = [config["account_tokens"][1], REVOKED_TOKEN]
    result = meltano_run(meltano_env(config, warehouse.path), state_suffix=warehouse.state_suffix)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "account token #2" in output
    assert not [token for token in [*TOKENS, REVOKED_TOKEN] if token in output]
    good = TOKENS[config["account_tokens"][0]][0]
    got, _ = warehouse.keys("applications")
    assert {a for a, _ in got} == {good}
    expected = {tuple(k) for k in sandbox.truth("merge")["applications"]["ids"] if k[0] == good}
    assert got == expected
