"""``account_shard``: N shards read each Kombo integration and Merge linked account exactly once.

Kombo shards by integration id; Merge by its token's shard key (``token_key``), so that a shard
asks Merge about its own tokens only.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter

import pytest
from conftest import SandboxClient, last_state, records, run_tap

from tap_ats.provider import Shard
from tap_ats.providers.merge.client import token_key
from tap_ats.sandbox.demo import fetch
from tap_ats.sandbox.server import Sandbox

STREAMS = ["applications", "jobs", "interviews", "candidates"]
#: List endpoints read per account (what test_orchestrate's ENDPOINTS lists), each recognised by
#: the deletes filter every list read sends (lookups read whole, like Kombo's rejection reasons
#: by name and Merge's account details, send none).
ENDPOINTS = {"kombo": 8, "merge": 11}
LISTED = {"kombo": "include_deleted=true", "merge": "include_deleted_data=true"}


@pytest.fixture
def many() -> SandboxClient:
    """A sandbox serving 12 Kombo integrations and 12 Merge linked accounts."""
    client = SandboxClient(Sandbox(seed=7, applications=240, accounts=12))
    yield client
    client.server.shutdown()


def shard_keys(sandbox: SandboxClient, provider: str) -> dict[str, str]:
    """Account → what its shard is chosen by: the Kombo integration id, the Merge token's key."""
    if provider == "kombo":
        return {i: i for i in sandbox.config("kombo")["integration_ids"]}
    return {account: token_key(token)
            for token, (account, _) in sandbox.sandbox.apis["merge"].tokens.items()}


def route_accounts(sandbox: SandboxClient, provider: str, since: int) -> list[str]:
    """Accounts of the first-page list requests the sandbox served after log entry ``since``."""
    if provider == "kombo":
        account = lambda route: route["x-integration-id"]  # noqa: E731
    else:
        tokens = sandbox.sandbox.apis["merge"].tokens
        account = lambda route: tokens[route["x-account-token"]][0]  # noqa: E731
    return [account(e["route"]) for e in sandbox.log(provider)[since:]
            if "cursor" not in e["query"] and LISTED[provider] in e["query"]]


@pytest.mark.parametrize("provider", ["kombo", "merge"])
def test_shards_cover_every_account_once_in_any_order(many, tmp_path, provider):
    config = many.config(provider)
    key = "integration_ids" if provider == "kombo" else "account_tokens"
    truth = many.truth(provider)
    held_by = shard_keys(many, provider)
    read_by: dict[str, list[int]] = {}
    keys: dict[str, set] = {s: set() for s in STREAMS}
    for k in (1, 2, 3, 4):
        shuffled = list(config[key])
        random.Random(k).shuffle(shuffled)  # the list's order must not move an account
        since = len(many.log(provider))
        code, messages, err = run_tap({**config, key: shuffled, "account_shard": f"{k}/4"},
                                      tmp_path)
        assert code == 0, err[-2000:]
        accounts = {r["account_id"] for r in records(messages, "applications")}
        for account in accounts:
            read_by.setdefault(account, []).append(k)
            assert Shard(k, 4).holds(held_by[account])
        for stream in STREAMS:
            keys[stream] |= {(r["account_id"], r["id"]) for r in records(messages, stream)}
        # Not one list request for an account of another shard (each endpoint once per account).
        requested = route_accounts(many, provider, since)
        assert set(requested) == accounts
        assert len(requested) == len(accounts) * ENDPOINTS[provider], (k, len(requested))
    assert sorted(read_by) == sorted({a for a, _ in truth["applications"]["ids"]})
    assert all(len(shards) == 1 for shards in read_by.values()), read_by
    # 12 accounts spread over the shards; Merge's 12 sandbox tokens leave shard 4 empty, which
    # reads nothing and succeeds.
    assert len({min(s) for s in read_by.values()}) == {"kombo": 4, "merge": 3}[provider]
    for stream in STREAMS:
        assert keys[stream] == {tuple(k) for k in truth[stream]["ids"]}, stream


def test_merge_shards_together_look_up_each_token_once_whatever_their_number(many, tmp_path):
    """Lookups flat in shards: 1, 2 or 4 shards ask ``account-details`` once per token in all."""
    config = many.config("merge")
    truth = many.truth("merge")
    tokens = many.sandbox.apis["merge"].tokens
    lookups = {}
    for shards in (1, 2, 4):
        since = len(many.log("merge"))
        read_by: dict[str, list[int]] = {}
        keys: dict[str, set] = {s: set() for s in STREAMS}
        for k in range(1, shards + 1):
            code, messages, err = run_tap({**config, "account_shard": f"{k}/{shards}"},
                                          tmp_path)
            assert code == 0, err[-2000:]
            for account in {r["account_id"] for r in records(messages, "applications")}:
                read_by.setdefault(account, []).append(k)
            for stream in STREAMS:
                keys[stream] |= {(r["account_id"], r["id"]) for r in records(messages, stream)}
        asked = [e["route"]["x-account-token"] for e in many.log("merge")[since:]
                 if e["path"].endswith("/account-details")]
        assert Counter(asked) == Counter(config["account_tokens"]), shards
        lookups[shards] = len(asked)
        assert sorted(read_by) == sorted(account for account, _ in tokens.values())
        assert all(len(k) == 1 for k in read_by.values()), read_by
        for stream in STREAMS:
            assert keys[stream] == {tuple(k) for k in truth[stream]["ids"]}, (shards, stream)
    assert lookups == {1: 12, 2: 12, 4: 12}


def test_merge_partitions_carry_their_shard_key_and_no_token(many, tmp_path):
    config = many.config("merge")
    keys = shard_keys(many, "merge")
    for k in (1, 2):
        code, messages, err = run_tap({**config, "account_shard": f"{k}/2"}, tmp_path)
        assert code == 0, err[-2000:]
        state = last_state(messages)
        partitions = [p for bookmark in state["bookmarks"].values()
                      for p in bookmark.get("partitions") or []]
        assert partitions
        for partition in partitions:
            assert partition["context"] == {"account_id": partition["context"]["account_id"]}
            assert partition["shard_key"] == keys[partition["context"]["account_id"]]
            assert Shard(k, 2).holds(partition["shard_key"])
        # Read again from that state: the key stays, and so do the bookmarks.
        code, again, err2 = run_tap({**config, "account_shard": f"{k}/2"}, tmp_path, state)
        assert code == 0, err2[-2000:]
        assert [p["shard_key"] for b in last_state(again)["bookmarks"].values()
                for p in b.get("partitions") or []] == [p["shard_key"] for p in partitions]
        said = err + err2 + json.dumps(messages) + json.dumps(again)
        assert not [t for t in config["account_tokens"] if t in said]


def test_a_revoked_merge_token_fails_only_the_shard_it_hashes_to(many, tmp_path):
    from tap_ats.sandbox.merge import REVOKED_TOKEN

    config = many.config("merge")
    config["account_tokens"] = [*config["account_tokens"], REVOKED_TOKEN]
    codes = {}
    for k in (1, 2, 3):
        code, _, err = run_tap({**config, "account_shard": f"{k}/3"}, tmp_path)
        codes[k] = code
        if Shard(k, 3).holds(token_key(REVOKED_TOKEN)):
            assert "account token #13" in err.splitlines()[-1]
        assert REVOKED_TOKEN not in err
    assert sorted(codes.values()) == [0, 0, 3]  # 3: that shard's other accounts committed


def test_an_empty_shard_reads_nothing_and_succeeds(sandbox, tmp_path):
    config = sandbox.config("kombo")
    k = next(k for k in range(1, 50) if not any(Shard(k, 50).holds(i)
                                                 for i in config["integration_ids"]))
    code, messages, err = run_tap({**config, "account_shard": f"{k}/50"}, tmp_path)
    assert code == 0, err[-2000:]
    assert not records(messages, "applications")
    assert sandbox.requests("kombo") == 0


@pytest.mark.parametrize("value", ["0/4", "5/4", "2/0", "two/4", "3", "1/4/2", "-1/4"])
def test_a_bad_shard_is_one_clear_line(sandbox, tmp_path, value):
    code, messages, err = run_tap({**sandbox.config("kombo"), "account_shard": value}, tmp_path)
    assert code == 2 and not messages
    assert err.splitlines()[-1].startswith("tap-ats: error: setting 'account_shard' must be")
    assert "Traceback" not in err


def test_no_shard_setting_is_one_shard_of_everything():
    ids = [f"acct-{n}" for n in range(100)]
    assert all(Shard.parse(None).holds(i) for i in ids)
    assert Shard.parse(" 3 / 8 ") == Shard(3, 8)
    split = [[i for i in ids if Shard(k, 8).holds(i)] for k in range(1, 9)]
    assert sorted(i for part in split for i in part) == sorted(ids)
    assert all(split), "100 ids should land in every one of 8 shards"


def test_sandbox_serves_as_many_accounts_as_asked(sandbox):
    fetch(f"{sandbox.url}/_sandbox/reset", {"accounts": 30})
    assert len(sandbox.config("kombo")["integration_ids"]) == 30
    assert len(sandbox.config("merge")["account_tokens"]) == 30
    assert len({a for a, _ in sandbox.truth("merge")["jobs"]["ids"]}) == 30
    fetch(f"{sandbox.url}/_sandbox/reset", {})  # a plain reset keeps the count
    assert len(sandbox.config("kombo")["integration_ids"]) == 30
    with pytest.raises(ValueError, match="at least 1"):
        Sandbox(accounts=0)
    cli = subprocess.run([sys.executable, "-m", "tap_ats.sandbox", "--accounts", "0"],
                         capture_output=True, text=True, check=False)
    assert cli.returncode == 2 and "--accounts must be at least 1" in cli.stderr
