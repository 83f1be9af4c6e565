"""ATZ CRM's interviews (``GET /activity``), job owners and lost histories, against the sandbox."""

from __future__ import annotations

from urllib.parse import parse_qs

from conftest import SandboxClient, assert_fields_match, last_state, records, run_tap

from tap_ats.sandbox.demo import fetch

PARTIAL_EXIT = 3


def ids(messages: list[dict], stream: str) -> set[tuple[str, str]]:
    return {(r["account_id"], r["id"]) for r in records(messages, stream)}


def truth_ids(sandbox: SandboxClient, stream: str) -> set[tuple[str, str]]:
    return {tuple(k) for k in sandbox.truth("atzcrm")[stream]["ids"]}


def activity_pages(sandbox: SandboxClient, since: int = 0) -> list[dict]:
    """The query of each activity list request from log entry ``since`` on."""
    return [parse_qs(e["query"]) for e in sandbox.log("atzcrm")[since:]
            if e["path"].endswith("/activity")]


def warnings(err: str, needle: str) -> list[str]:
    return [line for line in err.splitlines() if "WARNING" in line and needle in line]


def test_interviews_and_owners_equal_truth_then_only_new_interviews_are_read(sandbox, tmp_path):
    config = sandbox.config("atzcrm", lookback_window=0)
    rc, first, err = run_tap(config, tmp_path)
    assert rc == 0, err
    for stream in ("interviews", "job_hiring_team"):
        assert ids(first, stream) == truth_ids(sandbox, stream), stream
    assert_fields_match(sandbox, "atzcrm", first)
    pages = activity_pages(sandbox)
    total = sandbox.truth("atzcrm")["interviews"]["count"]
    assert len(pages) == -(-total // 25) > 1
    assert all(q["limit"] == ["25"] and q["sort_by"] == ["updated_at"]
               and q["sort_order"] == ["desc"] and q["activity_type_id"] == ["5"] for q in pages)
    jobs = [e for e in sandbox.log("atzcrm") if "/job/" in e["path"]]
    assert len(jobs) == sandbox.truth("atzcrm")["jobs"]["count"]  # owners cost no request
    assert all("maximize=owner" in e["query"] for e in jobs)
    assert {r["role"] for r in records(first, "job_hiring_team")} == {"other"}

    before = truth_ids(sandbox, "interviews")
    while truth_ids(sandbox, "interviews") == before:
        sandbox.advance(10, "atzcrm")
    new = truth_ids(sandbox, "interviews") - before
    n = len(sandbox.log("atzcrm"))
    rc, second, err = run_tap(config, tmp_path, last_state(first))
    assert rc == 0, err
    assert ids(second, "interviews") == new
    assert len(activity_pages(sandbox, n)) == 1  # newest first: stopped at the bookmark
    assert ids(first, "interviews") | ids(second, "interviews") == truth_ids(sandbox,
                                                                           "interviews")
    fields = {(a, i): v for a, i, v in fetch(f"{sandbox.url}/_sandbox/fields/atzcrm")[
        "interviews"]}
    for row in records(second, "interviews"):
        assert {k: row[k] for k in fields[row["account_id"], row["id"]]} == fields[
            row["account_id"], row["id"]]

    n = len(sandbox.log("atzcrm"))
    rc, third, err = run_tap(config, tmp_path, last_state(second))
    assert rc == 0, err
    assert not records(third, "interviews")
    assert len(activity_pages(sandbox, n)) == 1


def test_interview_columns_read_as_atz_gives_them(sandbox, tmp_path):
    rc, messages, err = run_tap(sandbox.config("atzcrm"), tmp_path)
    assert rc == 0, err
    rows = records(messages, "interviews")
    applications = ids(messages, "applications")
    assert {("atzcrm", r["application_id"]) for r in rows} <= applications
    assert {r["status"] for r in rows} == {"complete", "scheduled"}
    assert all(r["stage_id"] is None and r["status_raw"] is None for r in rows)
    assert all(r["end_at"] > r["start_at"] for r in rows)
    assert all(r["raw"]["activity_type"]["id"] == 5 for r in rows)


def history_404(sandbox: SandboxClient, count: int) -> list[str]:
    """Make the history of ``count`` listed candidates answer 404; their slugs."""
    slugs = sorted(k[1] for k in sandbox.truth("atzcrm")["candidates"]["ids"])[:count]
    sandbox.faults(missing=[f"/{slug}/history" for slug in slugs])
    return slugs


def test_a_few_lost_histories_are_one_warning_and_the_run_succeeds(sandbox, tmp_path):
    assert sandbox.truth("atzcrm")["candidates"]["count"] == 200
    gone = history_404(sandbox, 10)  # 5% of 200: not more than 5%
    rc, messages, err = run_tap(sandbox.config("atzcrm"), tmp_path)
    assert rc == 0, err
    lines = warnings(err, "/candidate/{slug}/history")
    assert len(lines) == 1 and "404 for 10 of 200 listed candidates" in lines[0]
    read = {r["candidate_id"] for r in records(messages, "candidate_history")}
    assert read and not read & set(gone)
    assert last_state(messages)["bookmarks"]["candidates"]["partitions"][0][
        "replication_key_value"]


def test_more_lost_histories_fail_the_account_and_keep_its_bookmark(sandbox, tmp_path):
    config = sandbox.config("atzcrm")
    rc, first, err = run_tap(config, tmp_path)
    assert rc == 0, err
    state = last_state(first)
    mark = state["bookmarks"]["candidates"]["partitions"][0]["replication_key_value"]
    history_404(sandbox, 11)  # 5.5% of 200, and at least 10
    rc, second, err = run_tap(config, tmp_path, state)
    assert rc == PARTIAL_EXIT, err
    lines = [line for line in err.splitlines() if "answered 404 for 11 of 200" in line]
    assert len(lines) == 2  # the account's ERROR line, then the run's closing one
    assert "ERROR" in lines[0] and lines[1].startswith("tap-ats: error:")
    assert all("GET /candidate/{slug}/history" in line for line in lines)
    assert not warnings(err, "/candidate/{slug}/history")
    kept = last_state(second)["bookmarks"]["candidates"]["partitions"][0]
    assert kept["replication_key_value"] == mark
