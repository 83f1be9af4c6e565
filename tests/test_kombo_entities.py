"""Kombo's analytics entities against the sandbox: users, offers, rejection reasons, scorecards,
the entities derived from jobs and applications, and the join columns that point at them."""

from __future__ import annotations

from conftest import assert_fields_match, last_state, records, run_tap

from tap_ats.derived import name_id

NEW = ["users", "offers", "rejection_reasons", "scorecards", "departments", "offices", "sources",
       "job_hiring_team"]


def keys(messages: list[dict], stream: str) -> set[tuple[str, str]]:
    return {(r["account_id"], r["id"]) for r in records(messages, stream)}


def truth_keys(truth: dict, stream: str, part: str = "ids") -> set[tuple[str, str]]:
    return {tuple(k) for k in truth[stream][part]}


def test_first_sync_then_incremental_equal_truth(sandbox, tmp_path):
    """Every new stream lands its truth; after changes, the incremental run brings the rest."""
    config = sandbox.config("kombo", page_size=5)
    rc, first, err = run_tap(config, tmp_path)
    assert rc == 0, err
    truth = sandbox.truth("kombo")
    for stream in NEW:
        assert truth[stream]["ids"], stream
        assert keys(first, stream) == truth_keys(truth, stream), stream
    sandbox.advance(60, "kombo")
    rc, second, err = run_tap(config, tmp_path, last_state(first))
    assert rc == 0, err
    truth = sandbox.truth("kombo")
    for stream in NEW:
        assert keys(first, stream) | keys(second, stream) == truth_keys(truth, stream), stream
    changed = records(second, "offers")
    assert 0 < len(changed) < len(truth["offers"]["ids"]), "offers should be read incrementally"
    deleted = {(r["account_id"], r["id"]) for r in changed if r["deleted_at"]}
    assert deleted and deleted == truth_keys(truth, "offers", "deleted_ids")
    assert all(r["_sdc_deleted_at"] == r["deleted_at"] for r in changed)
    assert truth_keys(truth, "scorecards", "deleted_ids") <= {
        (r["account_id"], r["id"]) for r in records(second, "scorecards") if r["deleted_at"]}


def test_fields_equal_the_sandbox(sandbox, tmp_path):
    """Every new column, including the join ids on applications and jobs, as the world says."""
    sandbox.advance(40, "kombo")  # rejections, hires and deletions give the statuses variety
    rc, messages, err = run_tap(sandbox.config("kombo"), tmp_path)
    assert rc == 0, err
    fields = assert_fields_match(sandbox, "kombo", messages)
    assert set(NEW) <= set(fields)
    offers = records(messages, "offers")
    assert {"sent", "accepted", "deprecated"} <= {r["status"] for r in offers}
    assert all(r["version"] is None and r["sent_at"] is None for r in offers)
    rejected = [r for r in records(messages, "applications") if r["rejection_reason"]]
    reasons = {(r["account_id"], r["id"]): r["name"]
               for r in records(messages, "rejection_reasons")}
    assert rejected and all(reasons[r["account_id"], r["rejection_reason_id"]]
                            == r["rejection_reason"] for r in rejected)
    sources = {(r["account_id"], r["id"]) for r in records(messages, "sources")}
    assert all((r["account_id"], r["source_id"]) in sources
               for r in records(messages, "applications"))
    departments = {(r["account_id"], r["id"]) for r in records(messages, "departments")}
    offices = {(r["account_id"], r["id"]) for r in records(messages, "offices")}
    users = {(r["account_id"], r["id"]) for r in records(messages, "users")}
    for job in records(messages, "jobs"):
        assert {(job["account_id"], i) for i in job["department_ids"]} <= departments
        assert {(job["account_id"], i) for i in job["office_ids"]} <= offices
    assert all((r["account_id"], r["user_id"]) in users
               for r in records(messages, "job_hiring_team"))
    assert all((r["account_id"], r["interviewer_id"]) in users
               for r in records(messages, "scorecards"))


def test_derived_ids_are_stable_hashes_of_the_name(sandbox, tmp_path):
    """The same names give the same ids on every run, so rows from different runs join."""
    config = sandbox.config("kombo")
    runs = [run_tap(config, tmp_path)[1] for _ in range(2)]
    for stream in ("departments", "offices", "sources"):
        rows = records(runs[0], stream)
        assert rows and keys(runs[0], stream) == keys(runs[1], stream), stream
        assert all(r["id"] == name_id(r["name"]) for r in rows), stream
    assert {r["name"] for r in records(runs[0], "sources")} == {
        "LinkedIn", "Referral", "Careers page", "Agency", "Job board"}


def test_scorecard_notes_only_with_the_setting(sandbox, tmp_path):
    """Free text stays out of ``notes`` and ``raw`` by default; the setting lets it in."""
    api = sandbox.sandbox.apis["kombo"]
    notes = {(account, s.id): s.notes for account in api.accounts
             for s in api.world(account).scorecards}
    assert any(notes.values())
    rc, messages, err = run_tap(sandbox.config("kombo"), tmp_path)
    assert rc == 0, err
    cards = records(messages, "scorecards")
    assert cards and all(r["notes"] is None for r in cards)
    assert all(resp["type"] != "TEXT" for r in cards for resp in r["raw"]["responses"])
    assert not any(text in err for text in notes.values() if text)
    rc, messages, err = run_tap(sandbox.config("kombo", include_scorecard_notes=True), tmp_path)
    assert rc == 0, err
    got = {(r["account_id"], r["remote_id"]): r["notes"] for r in records(messages, "scorecards")}
    assert got == {(a, str(i)): n for (a, i), n in notes.items()}


def test_demographics_is_not_offered(sandbox, tmp_path):
    """Kombo documents no way to read EEO answers: the stream is absent, even when selected."""
    rc, messages, err = run_tap(sandbox.config("kombo"), tmp_path)
    assert rc == 0, err
    assert "demographics" not in {m["stream"] for m in messages if m["type"] == "SCHEMA"}


def test_refused_rejection_reasons_leave_the_id_null_and_applications_land(sandbox, tmp_path):
    """A key without the rejection-reason model: the stream is skipped, applications still land
    with ``rejection_reason_id`` null and their names kept, and one warning per integration."""
    sandbox.faults(forbidden=["/ats/rejection-reasons"])
    rc, messages, err = run_tap(sandbox.config("kombo"), tmp_path)
    assert rc == 0, err
    truth = sandbox.truth("kombo")
    apps = records(messages, "applications")
    assert keys(messages, "applications") == truth_keys(truth, "applications")
    assert any(r["rejection_reason"] for r in apps)
    assert all(r["rejection_reason_id"] is None for r in apps)
    assert records(messages, "rejection_reasons") == []
    lookups = [line for line in err.splitlines()
               if "WARNING" in line and "rejection_reason_id stay null" in line]
    assert len(lookups) == len(sandbox.config("kombo")["integration_ids"])
