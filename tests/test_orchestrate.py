"""orchestrate/: the Dagster job that runs account shards in parallel, then dbt.

The end-to-end test runs 200 Kombo integrations and 200 Merge linked accounts as 4 shards through
``dagster job execute`` into the PostgreSQL of `.ci/run`, with Meltano's system database on it
too; without TAP_ATS_TEST_POSTGRES it is skipped (the unit tests here still run).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import dagster as dg
import pytest
from conftest import SandboxClient, last_state, run_tap
from test_reliability import assert_matches, streams_of

from tap_ats.providers import Shard
from tap_ats.sandbox.demo import meltano_env
from tap_ats.sandbox.kombo import kid
from tap_ats.sandbox.merge import mid
from tap_ats.sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
URL = os.environ.get("TAP_ATS_TEST_POSTGRES")
SHARDS = 4
ACCOUNTS = 200
FILTER = {"kombo": "updated_after=", "merge": "modified_after="}
ENDPOINTS = {"kombo": 4, "merge": 6}  # list endpoints per account (Merge: job stages, users)


def load_definitions() -> Any:
    spec = importlib.util.spec_from_file_location("definitions", ROOT / "orchestrate" /
                                                  "definitions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


definitions = load_definitions()


# Unit: the pieces of the job ----------------------------------------------------------------


def test_each_shard_gets_its_setting_and_its_own_run_files():
    envs = [definitions.shard_env("tap-ats", f"{k}/2", f"t-{uuid.uuid4().hex[:6]}-shard-{k}")
            for k in (1, 2)]
    assert [e["TAP_ATS_ACCOUNT_SHARD"] for e in envs] == ["1/2", "2/2"]
    own = [Path(e["MELTANO_SYS_DIR_ROOT"]) for e in envs]
    assert own[0] != own[1]
    for path in own:
        # The installed plugins are shared, the run directory is not.
        assert (path / "extractors").resolve() == (ROOT / ".meltano" / "extractors").resolve()
        assert not (path / "run").exists()
        for link in path.iterdir():
            link.unlink()
        path.rmdir()


def test_shards_share_the_projects_system_database(monkeypatch, tmp_path):
    monkeypatch.delenv("MELTANO_DATABASE_URI", raising=False)
    monkeypatch.setattr(definitions, "PROJECT", tmp_path)
    (tmp_path / ".meltano").mkdir()
    (tmp_path / "meltano.yml").write_text("version: 1\n")
    default = f"sqlite:///{tmp_path / '.meltano' / 'meltano.db'}"
    assert definitions.shard_env("tap-ats", "1/2", "a")["MELTANO_DATABASE_URI"] == default
    assert definitions.shard_env("tap-ats--eu", "1/1", "b")["TAP_ATS__EU_ACCOUNT_SHARD"] == "1/1"
    # Set by the project itself: Meltano reads it there, the shard must not override it.
    (tmp_path / "meltano.yml").write_text("version: 1\ndatabase_uri: postgresql://db/m\n")
    assert "MELTANO_DATABASE_URI" not in definitions.shard_env("tap-ats", "1/2", "a")
    (tmp_path / "meltano.yml").write_text("version: 1\n")
    (tmp_path / ".env").write_text("MELTANO_DATABASE_URI=postgresql://db/m\n")
    assert "MELTANO_DATABASE_URI" not in definitions.shard_env("tap-ats", "1/2", "a")
    monkeypatch.setenv("MELTANO_DATABASE_URI", "postgresql://db/x")
    assert definitions.shard_env("tap-ats", "1/2", "a")["MELTANO_DATABASE_URI"] == (
        "postgresql://db/x")


@pytest.fixture
def context() -> dg.OpExecutionContext:
    with dg.build_op_context() as ctx:
        yield ctx


def test_plan_fans_out_one_shard_per_k_with_its_state_suffix(monkeypatch, context):
    monkeypatch.setattr(definitions, "run_meltano", lambda *args: None)
    outputs = list(definitions.plan(context, definitions.ShardsConfig(
        shards=3, name="kombo")))
    assert [o.value["shard"] for o in outputs] == ["1/3", "2/3", "3/3"]
    assert [o.value["suffix"] for o in outputs] == [
        "kombo-shard-1-of-3", "kombo-shard-2-of-3", "kombo-shard-3-of-3"]
    with pytest.raises(dg.Failure, match="at least 1"):
        list(definitions.plan(context, definitions.ShardsConfig(shards=0)))


def test_transform_is_skipped_without_the_dbt_utility(monkeypatch, context):
    ran = []
    monkeypatch.setattr(definitions, "run_meltano", lambda _ctx, args, _env: ran.append(args))
    config = definitions.TransformConfig
    assert definitions.transform(context, ["1/1"], config(command="dbt-absent:build")) is False
    assert definitions.transform(context, ["1/1"], config(command="")) is False
    # Any utility the project declares runs through `meltano invoke` (here a stand-in name).
    assert "tap-ats" in definitions.project_plugins()
    assert definitions.transform(context, ["1/1"], config(command="tap-ats:about")) is True
    assert ran == [["invoke", "tap-ats:about"]]


def test_a_failing_meltano_fails_the_step_with_its_log(monkeypatch, tmp_path, context):
    fake = tmp_path / "meltano"
    fake.write_text("#!/bin/sh\necho 'tap-ats: error: setting api_key is required' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(definitions, "meltano", lambda: str(fake))
    with pytest.raises(dg.Failure, match="exited with 3") as failure:
        definitions.run_meltano(context, ["run", "x", "y"], dict(os.environ))
    assert "setting api_key is required" in failure.value.metadata["log tail"].text


def test_reshard_carries_each_accounts_bookmarks_to_its_new_shard(
        monkeypatch, tmp_path, context, sandbox):
    monkeypatch.setenv("MELTANO_DATABASE_URI", f"sqlite:///{tmp_path / 'meltano.db'}")
    config = sandbox.config("kombo")
    code, messages, err = run_tap(config, tmp_path)
    assert code == 0, err[-2000:]
    old = last_state(messages)
    reshard = definitions.ReshardConfig(from_shards=1, to_shards=2, name="kombo")
    definitions.meltano_state("set", "--force", definitions.state_id(reshard, 1, 1),
                              json.dumps({"singer_state": old}))
    with pytest.raises(dg.Failure, match="no bookmarks under dev:tap-ats-to-target-postgres"):
        definitions.reshard(context, definitions.ReshardConfig(from_shards=3, to_shards=2))
    assert definitions.reshard(context, reshard) == 2
    since = len(sandbox.log("kombo"))
    for k in (1, 2):
        new = json.loads(definitions.meltano_state(
            "get", definitions.state_id(reshard, k, 2)))["singer_state"]
        for stream, bookmark in new["bookmarks"].items():
            mine = [p for p in old["bookmarks"][stream].get("partitions", [])
                    if Shard(k, 2).holds(p["context"]["account_id"])]
            assert bookmark["partitions"] == mine, (k, stream)
        # The new shard starts from the carried bookmarks: every request filtered.
        code, _, err = run_tap({**config, "account_shard": f"{k}/2"}, tmp_path, new)
        assert code == 0, err[-2000:]
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)  # the bookmarks, less lookback
    filters = [parse_qs(e["query"]).get("updated_after", [""])[0]
               for e in sandbox.log("kombo")[since:]]
    assert filters and all(dt.datetime.fromisoformat(f) > recent for f in filters), filters


class Terminated(Exception):
    """What Dagster raises in a step when its run is terminated (here from a timer)."""


def test_a_terminated_step_takes_meltano_and_its_children_down(monkeypatch, tmp_path, context):
    fake = tmp_path / "meltano"
    pids = tmp_path / "pids"
    # A Meltano stand-in with a child (the tap) that ignores nothing and would outlive it.
    fake.write_text(f"#!/bin/sh\nsleep 600 &\necho $$ $! > {pids}\nwait\n")
    fake.chmod(0o755)
    monkeypatch.setattr(definitions, "meltano", lambda: str(fake))

    def interrupt(*_: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(Terminated):
            definitions.run_meltano(context, ["run", "x", "y"], dict(os.environ))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and "Z" not in Path(
                f"/proc/{pid}/stat").read_text().split()[2] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(
            f"/proc/{pid}/stat").read_text().split()[2], f"process {pid} survived"


# End to end: Dagster, Meltano, PostgreSQL ---------------------------------------------------

pg = pytest.mark.skipif(not URL, reason="TAP_ATS_TEST_POSTGRES not set (see .ci/run)")


def psql(sql: str, url: str | None = None) -> list[list[str]]:
    out = subprocess.run(["psql", url or URL, "-At", "-F", "\t", "-c", sql], capture_output=True,
                         text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


class Cluster:
    """A sandbox of many accounts, a Meltano system database and target schemas on PostgreSQL."""

    def __init__(self, tmp_path: Path) -> None:
        self.sandbox = SandboxClient(Sandbox(seed=16, applications=ACCOUNTS * 4,
                                             accounts=ACCOUNTS))
        self.tag = uuid.uuid4().hex[:8]
        self.database = f"meltano_{self.tag}"
        psql(f"create database {self.database}")
        self.system_db = URL.rsplit("/", 1)[0] + f"/{self.database}"
        self.home = tmp_path / "dagster"
        self.home.mkdir()
        (self.home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        self.tmp = tmp_path

    def close(self) -> None:
        self.sandbox.server.shutdown()
        psql(f"drop database if exists {self.database} with (force)")
        for provider in FILTER:
            psql(f"drop schema if exists {self.schema(provider)} cascade")

    def schema(self, provider: str) -> str:
        return f"shards_{provider}_{self.tag}"

    def env(self, provider: str) -> dict[str, str]:
        env = meltano_env(self.sandbox.config(provider))
        env.update({
            "TARGET_POSTGRES_SQLALCHEMY_URL": URL.replace("postgresql://", "postgresql+psycopg://"),
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": self.schema(provider),
            "MELTANO_DATABASE_URI": self.system_db.replace("postgresql://",
                                                           "postgresql+psycopg://"),
            "DAGSTER_HOME": str(self.home)})
        return env

    def start(self, provider: str, *, force: bool = False) -> subprocess.Popen:
        """``dagster job execute`` of the shard job for one provider, as a user runs it."""
        config = self.tmp / f"run-{provider}.yaml"
        config.write_text(json.dumps({  # JSON is YAML
            "ops": {"plan": {"config": {"shards": SHARDS, "name": provider, "force": force}},
                    # The dbt package is tested on its own; here the step must only not block.
                    "transform": {"config": {"command": ""}}},
            "execution": {"config": {"max_concurrent": SHARDS}}}))
        return subprocess.Popen(
            [str(BIN / "dagster"), "job", "execute", "-f", "orchestrate/definitions.py",
             "-j", "tap_ats_shards", "-c", str(config)], cwd=ROOT, env=self.env(provider),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def run(self, provider: str, *, force: bool = False) -> int:
        """One whole run of the job; returns the first sandbox log entry it made."""
        since = len(self.sandbox.sandbox.log)
        proc = self.start(provider, force=force)
        out, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0, out[-6000:]
        return since

    def keys(self, provider: str, stream: str, where: str = "true") -> set[tuple[str, str]]:
        return {(a, i) for a, i in psql(
            f'select account_id, id from {self.schema(provider)}."{stream}" where {where}')}

    def assert_equals_truth(self, provider: str) -> None:
        truth = self.sandbox.truth(provider)
        assert_matches(provider, {s: self.keys(provider, s) for s in streams_of(truth)}, truth)

    def bookmarks(self, provider: str) -> dict[int, dict[str, str]]:
        """Shard → {account: applications bookmark}, from the shared system database."""
        out = {}
        for k in range(1, SHARDS + 1):
            state_id = f"dev:tap-ats-to-target-postgres:{provider}-shard-{k}-of-{SHARDS}"
            got = subprocess.run([str(BIN / "meltano"), "state", "get", state_id], cwd=ROOT,
                                 env=self.env(provider), capture_output=True, text=True,
                                 check=True).stdout
            state = json.loads(got[got.index("{"):])["singer_state"]
            out[k] = {p["context"]["account_id"]: p["replication_key_value"]
                      for p in state["bookmarks"]["applications"].get("partitions", [])}
        return out

    def first_pages(self, provider: str, since: int) -> Counter:
        """(account, endpoint) → list requests without a cursor, from log entry ``since`` on."""
        tokens = self.sandbox.sandbox.apis["merge"].tokens
        count: Counter = Counter()
        for entry in list(self.sandbox.sandbox.log)[since:]:
            if entry["provider"] != provider or "cursor=" in entry["query"] \
                    or entry["path"].endswith("account-details"):
                continue
            route = entry["route"]
            account = route.get("x-integration-id") or tokens[route["x-account-token"]][0]
            count[account, entry["path"]] += 1
        return count

    def changed_applications(self, provider: str, since: dt.datetime) -> set[tuple[str, str]]:
        api = self.sandbox.sandbox.apis[provider]
        out = set()
        for account in api.accounts:
            for app in api.world(account).applications:
                if app.updated_at >= since:
                    out.add((account, kid("application", app.id) if provider == "kombo"
                             else mid("application", app.id, account)))
        return out


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    c.close()


def accounts_of(provider: str, cluster: Cluster) -> set[str]:
    return set(cluster.sandbox.sandbox.apis[provider].accounts)


def assert_each_account_read_once(cluster: Cluster, provider: str, since: int,
                                  bookmarks: dict[int, dict[str, str]]) -> None:
    pages = cluster.first_pages(provider, since)
    accounts = accounts_of(provider, cluster)
    assert {a for a, _ in pages} == accounts
    assert set(pages.values()) == {1}, "an endpoint of an account was read twice in one pass"
    assert len(pages) == len(accounts) * ENDPOINTS[provider]
    # Each shard's state holds exactly its own accounts: disjoint, and together all of them.
    for k, marks in bookmarks.items():
        assert set(marks) == {a for a in accounts if Shard(k, SHARDS).holds(a)}, k
    assert sum(len(m) for m in bookmarks.values()) == len(accounts)


@pg
@pytest.mark.parametrize("provider", ["kombo", "merge"])
def test_shards_through_dagster_full_then_incremental(cluster, provider):
    since = cluster.run(provider)
    cluster.assert_equals_truth(provider)
    first = cluster.bookmarks(provider)
    assert_each_account_read_once(cluster, provider, since, first)

    changed_from = dt.datetime.now(dt.UTC).replace(microsecond=0)
    cluster.sandbox.advance(80, provider)
    changed = cluster.changed_applications(provider, changed_from)
    assert len(changed) >= 60
    started = psql("select now() at time zone 'utc'")[0][0]
    since = cluster.run(provider)
    cluster.assert_equals_truth(provider)
    second = cluster.bookmarks(provider)
    assert_each_account_read_once(cluster, provider, since, second)
    # Incremental: every list request filtered from the account's bookmark, and the rows the
    # second pass wrote are the applications that changed, no more.
    requests = [e for e in list(cluster.sandbox.sandbox.log)[since:]
                if e["provider"] == provider and not e["path"].endswith("account-details")]
    assert all(FILTER[provider] in e["query"] for e in requests)
    touched = cluster.keys(provider, "applications", f"_sdc_batched_at >= '{started}'")
    assert touched == changed, (len(touched), len(changed))
    for k in second:
        assert all(second[k][a] > first[k][a] for a in second[k])


def shard_processes(provider: str, k: int) -> list[int]:
    """Process-group leaders of shard k's ``meltano run`` (found by the shard's environment)."""
    marker = f"MELTANO_SYS_DIR_ROOT={ROOT / '.meltano' / 'shards'}/{provider}-shard-{k}-of-"
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "environ").read_bytes() \
                    and os.getpgid(int(proc.name)) == int(proc.name):
                found.append(int(proc.name))
        except (OSError, ProcessLookupError):
            continue
    return found


@pg
def test_a_shard_killed_mid_run_loses_nothing_and_leaves_the_others_alone(cluster):
    provider, victim = "kombo", 2
    cluster.run(provider)
    before = cluster.bookmarks(provider)
    cluster.sandbox.advance(120, provider)
    cluster.sandbox.faults(latency_ms=200)  # slow enough for a shard to be caught mid-stream
    victims = {a for a in accounts_of(provider, cluster) if Shard(victim, SHARDS).holds(a)}
    since = len(cluster.sandbox.sandbox.log)
    proc = cluster.start(provider)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        pages = cluster.first_pages(provider, since)
        if sum(n for (a, _), n in pages.items() if a in victims) >= len(victims) // 4:
            break  # a quarter of the shard's applications read, its other streams not yet
        time.sleep(0.05)
    leaders = shard_processes(provider, victim)
    assert leaders, "the shard's meltano run was not found"
    for pid in leaders:
        os.killpg(pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode != 0, "the job must fail when a shard is killed"
    assert f"sync_shard[shard_{victim}_of_{SHARDS}]" in out
    after = cluster.bookmarks(provider)
    truth = cluster.sandbox.truth(provider)
    expected = {tuple(k) for k in truth["applications"]["ids"]}
    loaded = cluster.keys(provider, "applications")
    # The other shards finished: their bookmarks moved and their accounts equal the truth.
    for k in set(after) - {victim}:
        assert all(after[k][a] > before[k][a] for a in after[k]), k
        mine = {key for key in expected if Shard(k, SHARDS).holds(key[0])}
        assert mine <= loaded
    # The killed shard was caught in the middle: some of its accounts kept their bookmark.
    assert any(after[victim][a] == before[victim][a] for a in after[victim])
    cluster.sandbox.faults()
    # Meltano still counts the killed run as running (its last heartbeat is recent): without
    # force it refuses the shard, and says so.
    refused = cluster.start(provider)
    out, _ = refused.communicate(timeout=900)
    assert refused.returncode != 0 and "is already running" in out
    cluster.run(provider, force=True)
    cluster.assert_equals_truth(provider)
    final = cluster.bookmarks(provider)
    assert all(final[victim][a] > before[victim][a] for a in final[victim])
