"""Merge's account-level errors, each from a sandbox fault: what the run does and says.

A Common Model disabled in one linked account's scopes skips that stream of that account (one
WARNING, its bookmark kept, everything else read). A linked account that needs relinking, or
never finished linking, fails on one line that says what to do in Merge, while the other
accounts land; an idle one is read as usual.
"""

from __future__ import annotations

import pytest
from conftest import last_state, records, run_tap

from tap_ats.provider import Shard
from tap_ats.providers.merge.client import token_key
from tap_ats.sandbox.merge import TOKENS

FIRST, SECOND = TOKENS.items()


def bookmarks(messages: list[dict], stream: str) -> dict[str, str]:
    parts = last_state(messages)["bookmarks"][stream]["partitions"]
    return {p["context"]["account_id"]: p["replication_key_value"] for p in parts}


def test_a_model_disabled_in_one_accounts_scopes_skips_that_stream_there(sandbox, tmp_path):
    config = sandbox.config("merge")
    _, first, _ = run_tap(config, tmp_path)
    (token, (disabled, _)), (_, (other, _)) = FIRST, SECOND
    sandbox.faults(disabled_models=["/offers"], refuse_account=token)
    sandbox.advance(40, "merge")
    rc, messages, err = run_tap(config, tmp_path, last_state(first))
    assert rc == 0, err[-3000:]
    warnings = [line for line in err.splitlines() if "WARNING" in line and "offers" in line]
    assert len(warnings) == 1, warnings
    assert f"Skipped stream offers of account {disabled}" in warnings[0]
    assert "enable the Offer Common Model in this linked account's scopes" in warnings[0]
    before, after = bookmarks(first, "offers"), bookmarks(messages, "offers")
    assert after[disabled] == before[disabled] and after[other] > before[other]
    assert {r["account_id"] for r in records(messages, "offers")} == {other}
    assert bookmarks(messages, "applications")[disabled] > bookmarks(first, "applications")[
        disabled]
    assert [e for e in sandbox.log("merge") if e["status"] == "disabled_model"]


@pytest.mark.parametrize(("status", "says"), [
    ("RELINK_NEEDED", "needs relinking (Merge status RELINK_NEEDED)"),
    ("INCOMPLETE", "never finished linking (Merge status INCOMPLETE)"),
])
def test_an_unusable_linked_account_fails_alone_on_one_line(sandbox, tmp_path, status, says):
    config = sandbox.config("merge")
    _, first, _ = run_tap(config, tmp_path)
    (token, (broken, integration)), (_, (other, _)) = FIRST, SECOND
    sandbox.faults(linked_account_status=status, refuse_account=token)
    sandbox.advance(20, "merge")
    n = len(sandbox.log("merge"))
    rc, messages, err = run_tap(config, tmp_path, last_state(first))
    assert rc == 3, err[-3000:]
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("tap-ats: error:")]
    assert len(errors) == 1, errors
    assert broken in errors[0] and says in errors[0]
    assert f"Merge dashboard > Linked Accounts > {integration} customer ({integration})" in \
        errors[0]
    assert token not in err
    assert {r["account_id"] for r in records(messages, "applications")} == {other}
    before, after = bookmarks(first, "applications"), bookmarks(messages, "applications")
    assert after[broken] == before[broken] and after[other] > before[other]
    # Merge still serves the stale data of such an account: the tap chose not to read it.
    asked = [e["path"].rsplit("/", 1)[1] for e in sandbox.log("merge")[n:]
             if e["route"].get("x-account-token") == token]
    assert asked == ["account-details"]


def test_an_idle_linked_account_is_read_as_usual(sandbox, tmp_path):
    sandbox.faults(linked_account_status="IDLE")
    rc, messages, err = run_tap(sandbox.config("merge"), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("merge")
    got = {(r["account_id"], r["id"]) for r in records(messages, "applications")}
    assert got == {tuple(k) for k in truth["applications"]["ids"]}


def test_a_linked_account_to_relink_fails_only_the_shard_that_holds_it(sandbox, tmp_path):
    """Named by its linked account, reported by the shard that holds its token, alone there.

    Merge answered for the account, so the api_key works: that shard exits 3, not 1.
    """
    (token, (broken, _)), _ = FIRST, SECOND
    sandbox.faults(linked_account_status="RELINK_NEEDED", refuse_account=token)
    codes = {}
    for k in (1, 2, 3):
        codes[k], _, err = run_tap(sandbox.config("merge", account_shard=f"{k}/3"), tmp_path)
        assert (broken in err) == Shard(k, 3).holds(token_key(token)), k
        assert token not in err
    assert sorted(codes.values()) == [0, 0, 3]
