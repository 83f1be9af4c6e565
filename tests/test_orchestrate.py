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
import yaml
from conftest import SandboxClient, last_state, run_tap
from test_reliability import assert_matches, streams_of

from orchestrate import state as store
from tap_ats.provider import Shard
from tap_ats.providers.merge.client import token_key
from tap_ats.sandbox.demo import meltano_env, postgres_env
from tap_ats.sandbox.kombo import kid
from tap_ats.sandbox.merge import mid
from tap_ats.sandbox.server import Sandbox
from tap_ats.streams import STREAM_NAMES

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
URL = os.environ.get("TAP_ATS_TEST_POSTGRES")
SHARDS = 4
ACCOUNTS = 200
FILTER = {"kombo": "updated_after=", "merge": "modified_after="}
#: Incremental list endpoints per account: Kombo applications, jobs, interviews, candidates,
#: users, offers, rejection reasons, scorecards; Merge those but rejection reasons as
#: reject-reasons, plus job stages, departments and offices (demographics is not selected).
ENDPOINTS = {"kombo": 8, "merge": 11}
#: Requests read whole on purpose, without the incremental filter.
LOOKUPS = {"kombo": "/ats/rejection-reasons", "merge": "/account-details"}


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
    monkeypatch.setattr(store, "PROJECT", tmp_path)  # where meltano.yml is read
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


class FakeTap:
    """A stand-in ``meltano`` that writes the tap's run report and exits as told."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exits(self, meltano: int, tap: int | None, accounts: dict | None = None,
              says: str = "") -> None:
        report = json.dumps({"provider": "kombo", "exit_code": tap, "accounts": accounts or {}})
        write = f"cat > \"$TAP_ATS_RUN_REPORT\" <<'EOF'\n{report}\nEOF\n" if tap is not None else ""
        self.path.write_text(f"#!/bin/sh\necho \"meltano $* shard=$TAP_ATS_ACCOUNT_SHARD\"\n"
                             f"echo '{says}'\n{write}exit {meltano}\n")
        self.path.chmod(0o755)


FAILED = {"acct-1": {"status": "ok", "streams": {"applications": {"status": "ok", "records": 5}}},
          "acct-2": {"status": "failed", "reason": "503 after 8 attempts",
                     "streams": {"applications": {"status": "failed", "records": 2,
                                                  "reason": "503 after 8 attempts"}}}}


@pytest.fixture
def fake_tap(monkeypatch, tmp_path) -> FakeTap:
    fake = FakeTap(tmp_path / "meltano")
    monkeypatch.setattr(definitions, "meltano", lambda: str(fake.path))
    monkeypatch.setattr(definitions, "LOGS", tmp_path / "logs")
    monkeypatch.setattr(definitions, "check_shard_count", lambda *_: None)
    return fake


def shard(partition: str = "1/2", instance: dg.DagsterInstance | None = None) -> dict:
    """Materialize one shard partition by direct invocation: asset key → its results."""
    context = dg.build_asset_context(partition_key=partition,
                                     instance=instance or dg.DagsterInstance.ephemeral())
    out: dict = {}
    for result in definitions.tap_ats_shard(context, definitions.ShardConfig(name="t")):
        out.setdefault(result.asset_key.path[-1], []).append(result)
    return out


def test_the_tables_are_the_taps_streams_and_partitioned_by_shard():
    assert definitions.TABLES == STREAM_NAMES
    keys = definitions.shard_partitions.get_partition_keys()
    assert keys == [f"{k}/{definitions.SHARDS}" for k in range(1, definitions.SHARDS + 1)]
    specs = definitions.tap_ats_shard.specs_by_key
    assert {k.path[1] for k in specs} == set(STREAM_NAMES)
    assert all(definitions.tap_ats_shard.partitions_def is definitions.shard_partitions
               for _ in specs)


def test_dbt_models_are_assets_downstream_of_the_tables():
    deps = {model: {d.asset_key.to_user_string() for d in spec.deps}
            for model, spec in ((s.key.path[-1], s) for s in definitions.dbt_models.specs)}
    assert deps["stg_ats__jobs"] == {"tap_ats/jobs"}
    assert "analytics/ats__stage_visits" in deps["ats__funnel"]
    sources = {d for model in deps.values() for d in model if d.startswith("tap_ats/")}
    assert sources and sources <= {f"tap_ats/{t}" for t in STREAM_NAMES}
    assert all(s.automation_condition is not None for s in definitions.dbt_models.specs)


def test_schedule_starts_every_shard_of_the_assets():
    schedule = definitions.tap_ats_nightly
    assert schedule.cron_schedule == definitions.SCHEDULE == "0 2 * * *"
    assert schedule.job_name == "tap_ats_shards"
    job = definitions.defs.resolve_job_def("tap_ats_shards")
    assert job.asset_layer.executable_asset_keys == set(definitions.tap_ats_shard.keys)
    with dg.build_schedule_context(
            repository_def=definitions.defs.get_repository_def(),
            scheduled_execution_time=dt.datetime(2026, 1, 2, 2, tzinfo=dt.UTC)) as ctx:
        requests = list(schedule.evaluate_tick(ctx).run_requests)
    assert [r.partition_key for r in requests] == definitions.shard_partitions.get_partition_keys()
    assert len({r.run_key for r in requests}) == len(requests)
    sensor = definitions.dbt_after_shards
    assert sensor.name == "tap_ats_dbt_after_shards"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_retry_policy_backs_off_on_a_failed_run_but_not_on_failed_accounts(fake_tap):
    policy = definitions.tap_ats_shard.op.retry_policy
    assert policy is definitions.SHARD_RETRY
    assert policy.backoff == dg.Backoff.EXPONENTIAL and policy.max_retries >= 2
    # Exit 1, the run failed as a whole (no report, or the tap's own 1): retried.
    for tap in (None, 1):
        fake_tap.exits(1, tap)
        with pytest.raises(dg.Failure, match="exited with 1") as failure:
            shard()
        assert failure.value.allow_retries is True
    # Exit 2, a wrong setting: failing again later helps nobody.
    fake_tap.exits(1, 2)
    with pytest.raises(dg.Failure) as failure:
        shard()
    assert failure.value.allow_retries is False
    # The tap exited 3 but the loader failed, or died and took Meltano down before it said so
    # (two shards' targets racing to create the schema): nothing is known to be committed.
    for says in ("[error    ] meltano      Extractor and loader failed",
                 "[info     ] target-postgres psycopg.errors.UniqueViolation: duplicate key "
                 "value violates unique constraint\nBrokenPipeError",
                 "[info     ] tap-ats      Extractor failed"):
        fake_tap.exits(1, 3, FAILED, says=says)
        with pytest.raises(dg.Failure, match="exited with 1") as failure:
            shard()
        assert failure.value.allow_retries is True
    # Exit 3: no failure to retry; materialized, and the check names the account and why.
    fake_tap.exits(1, 3, FAILED, says="2026-12-03T17:45:57Z [error    ] meltano      "
                                      "Extractor failed")
    results = shard()
    materialized, check = results["applications"]
    assert isinstance(materialized, dg.MaterializeResult)
    assert materialized.metadata["records"] == 7 and materialized.metadata["tap exit code"] == 3
    assert check.passed is False and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["failed accounts"].data == {"acct-2": "503 after 8 attempts"}
    assert "acct-2: 503 after 8 attempts" in check.description
    # An account given up as a whole fails every table's check; the others pass.
    assert results["jobs"][1].passed is False
    fake_tap.exits(0, 0, {"acct-1": FAILED["acct-1"]})
    assert all(r[1].passed for r in shard().values())


def test_logs_are_kept_per_shard_and_run_with_the_path_in_metadata(fake_tap, tmp_path):
    fake_tap.exits(0, 0, {"acct-1": FAILED["acct-1"]})
    first = shard("2/2")["applications"][0].metadata["log"].path
    second = shard("2/2")["applications"][0].metadata["log"].path
    assert first != second
    for log in (first, second):
        assert Path(log).parent == tmp_path / "logs" / "t-shard-2-of-2"
        assert "meltano run --state-id-suffix t-shard-2-of-2 tap-ats target-postgres " \
            "shard=2/2" in Path(log).read_text()
        assert Path(log).with_suffix(".report.json").exists()


def test_a_second_run_of_a_shard_waits_or_is_refused(fake_tap, tmp_path):
    # The instance config shipped: one run in progress per partition; the rest wait in queue.
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text(
        (ROOT / "orchestrate" / "dagster.yaml").read_text())
    with dg.instance_for_test(temp_dir=str(tmp_path / "home"), overrides=yaml.safe_load(
            (ROOT / "orchestrate" / "dagster.yaml").read_text())) as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert limits == [{"key": definitions.PARTITION_TAG,
                           "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
        # Runs that bypass the queue: the shard refuses to start beside a run of itself.
        fake_tap.exits(0, 0)
        busy = instance.create_run_for_job(
            definitions.defs.resolve_job_def("tap_ats_shards"), run_id=str(uuid.uuid4()),
            tags={definitions.PARTITION_TAG: "1/2"},
            asset_selection=frozenset(definitions.tap_ats_shard.keys))
        instance.handle_run_event(busy.run_id, dg.DagsterEvent(
            "PIPELINE_START", job_name=busy.job_name))
        assert instance.get_run_by_id(busy.run_id).status == dg.DagsterRunStatus.STARTED
        with pytest.raises(dg.Failure, match=f"already running in run {busy.run_id}") as refused:
            shard("1/2", instance)
        assert refused.value.allow_retries is False
        assert shard("2/2", instance)["jobs"][1].passed  # another shard runs alongside


def test_the_shard_count_guard_refuses_a_new_n_until_reshard(monkeypatch, tmp_path, context):
    monkeypatch.setenv("MELTANO_DATABASE_URI", f"sqlite:///{tmp_path / 'meltano.db'}")
    config = definitions.ShardConfig(name="g")
    definitions.check_shard_count(config, 2)  # the first run records N
    definitions.check_shard_count(config, 2)
    with pytest.raises(dg.Failure, match="built with 2 shards, this run has 3") as refused:
        definitions.check_shard_count(config, 3)
    assert refused.value.allow_retries is False
    assert "tap_ats_reshard (from_shards 2, to_shards 3)" in refused.value.description
    old = store.ReshardConfig(from_shards=2, to_shards=3, name="g")
    for k, account in ((1, "a"), (2, "b")):
        store.meltano_state("set", "--force", store.state_id(old, k, 2), json.dumps(
            {"singer_state": {"bookmarks": {"jobs": {"partitions": [
                {"context": {"account_id": account}, "replication_key_value": "2026-01-01"}]}}}}))
    assert store.reshard(context, old) == 2
    definitions.check_shard_count(config, 3)
    with pytest.raises(dg.Failure, match="built with 3 shards, this run has 2"):
        definitions.check_shard_count(config, 2)


def test_dbt_is_skipped_without_the_utility_and_keeps_its_log(monkeypatch, tmp_path):
    ran = []
    monkeypatch.setattr(definitions, "LOGS", tmp_path)
    monkeypatch.setattr(definitions, "run_meltano",
                        lambda _ctx, args, _env, log: ran.append((args, log)))

    def build(command: str) -> list:
        with dg.build_asset_context() as ctx:
            return [r for r in definitions.dbt_models(ctx, definitions.TransformConfig(
                command=command)) if isinstance(r, dg.MaterializeResult)]

    assert build("dbt-absent:build") == [] and build("") == []
    assert not ran
    # Any utility the project declares runs through `meltano invoke` (here a stand-in name).
    assert "tap-ats" in definitions.project_plugins()
    results = build("tap-ats:about")
    assert [args for args, _ in ran] == [["invoke", "tap-ats:about"]]
    assert {r.asset_key for r in results} == set(definitions.dbt_models.keys)
    assert results[0].metadata["log"].path == str(ran[0][1])
    assert ran[0][1].parent == tmp_path / "dbt"


def test_a_failing_meltano_fails_the_step_with_its_log(monkeypatch, tmp_path, context):
    fake = tmp_path / "meltano"
    fake.write_text("#!/bin/sh\necho 'tap-ats: error: setting api_key is required' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(definitions, "meltano", lambda: str(fake))
    log = tmp_path / "logs" / "run.log"
    with pytest.raises(dg.Failure, match="exited with 3") as failure:
        definitions.run_meltano(context, ["run", "x", "y"], dict(os.environ), log)
    assert "setting api_key is required" in failure.value.metadata["log tail"].text
    assert failure.value.metadata["log"].path == str(log)
    assert "setting api_key is required" in log.read_text()


def test_reshard_carries_each_accounts_bookmarks_to_its_new_shard(
        monkeypatch, tmp_path, context, sandbox):
    monkeypatch.setenv("MELTANO_DATABASE_URI", f"sqlite:///{tmp_path / 'meltano.db'}")
    config = sandbox.config("kombo")
    code, messages, err = run_tap(config, tmp_path)
    assert code == 0, err[-2000:]
    old = last_state(messages)
    reshard = store.ReshardConfig(from_shards=1, to_shards=2, name="kombo")
    store.meltano_state("set", "--force", store.state_id(reshard, 1, 1),
                        json.dumps({"singer_state": old}))
    with pytest.raises(dg.Failure, match="no bookmarks under dev:tap-ats-to-target-postgres"):
        store.reshard(context, store.ReshardConfig(from_shards=3, to_shards=2))
    assert store.reshard(context, reshard) == 2
    since = len(sandbox.log("kombo"))
    for k in (1, 2):
        new = json.loads(store.meltano_state(
            "get", store.state_id(reshard, k, 2)))["singer_state"]
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


def test_a_partition_goes_where_the_tap_reads_its_account_once_per_account():
    """The placement rule, with a stand-in shard that holds the keys ending in "in"."""
    def partition(account: str, key: str | None = None, mark: str | None = None) -> dict:
        out: dict[str, Any] = {"context": {"account_id": account}}
        if key:
            out["shard_key"] = key
        if mark:
            out["replication_key_value"] = mark
        return out

    def holds(key: str) -> bool:
        return key.endswith("in")

    kombo_in, kombo_out = partition("acct-in"), partition("acct-out")
    # Merge: by the token's key, whatever the account id; written before the key, by the id.
    merge_in, merge_out = partition("m-out", "key-in"), partition("m-in", "key-out")
    unkeyed = partition("m2-in", mark="2026-01-01T00:00:00+00:00")
    # One account read with two tokens (or before and after its token was rotated), both keys
    # in this shard: one partition, the later bookmark.
    older = partition("m3", "old-in", "2026-01-02T00:00:00+00:00")
    newer = partition("m3", "new-in", "2026-02-01T00:00:00+00:00")
    never = partition("m3", "other-in")
    assert store.placement_key(merge_in) == "key-in"
    assert store.placement_key(kombo_in) == "acct-in"
    placed = store.place([kombo_in, kombo_out, merge_in, merge_out, unkeyed, older, newer, never],
                         holds)
    assert placed == [kombo_in, merge_in, unkeyed, newer]


def test_reshard_puts_merge_bookmarks_where_their_tokens_are_read(monkeypatch, tmp_path, context):
    monkeypatch.setenv("MELTANO_DATABASE_URI", f"sqlite:///{tmp_path / 'meltano.db'}")
    sandbox = SandboxClient(Sandbox(seed=7, applications=72, accounts=6))
    try:
        config = sandbox.config("merge")
        tokens = sandbox.sandbox.apis["merge"].tokens
        keys = {account: token_key(token) for token, (account, _) in tokens.items()}
        reshard = store.ReshardConfig(from_shards=2, to_shards=3, name="merge")
        for k in (1, 2):
            code, messages, err = run_tap({**config, "account_shard": f"{k}/2"}, tmp_path)
            assert code == 0, err[-2000:]
            store.meltano_state("set", "--force", store.state_id(reshard, k, 2),
                                json.dumps({"singer_state": last_state(messages)}))
        assert store.reshard(context, reshard) == len(keys)
        since = len(sandbox.log("merge"))
        read = []
        for k in (1, 2, 3):
            new = store.read_state(store.state_id(reshard, k, 3))["singer_state"]
            held = {p["context"]["account_id"]: p["shard_key"]
                    for b in new["bookmarks"].values() for p in b["partitions"]}
            assert all(Shard(k, 3).holds(key) for key in held.values()), k
            before = len(sandbox.log("merge"))
            code, _, err = run_tap({**config, "account_shard": f"{k}/3"}, tmp_path, new)
            assert code == 0, err[-2000:]
            accounts = {tokens[e["route"]["x-account-token"]][0]
                        for e in sandbox.log("merge")[before:]}
            assert set(held) == accounts and held == {a: keys[a] for a in accounts}, k
            read += accounts
        assert sorted(read) == sorted(keys)
        # Each account found its bookmarks in the shard that reads it now: no list from the start.
        recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        filters = [parse_qs(e["query"]).get("modified_after", [""])[0]
                   for e in sandbox.log("merge")[since:]
                   if not e["path"].endswith(LOOKUPS["merge"])]
        assert filters and all(dt.datetime.fromisoformat(f) > recent for f in filters), filters
    finally:
        sandbox.server.shutdown()


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
            definitions.run_meltano(context, ["run", "x", "y"], dict(os.environ),
                                    tmp_path / "run.log")
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


class Shards:
    """The shard runs of one pass, waited for together."""

    def __init__(self, procs: list[subprocess.Popen]) -> None:
        self.procs = procs
        self.returncode: int | None = None

    def communicate(self, timeout: float) -> tuple[str, None]:
        outs = [p.communicate(timeout=timeout)[0] for p in self.procs]
        self.returncode = max(p.returncode for p in self.procs)
        return "\n".join(f"--- shard {k}:\n{o}" for k, o in enumerate(outs, 1)), None


class Cluster:
    """A sandbox of many accounts, a Meltano system database and target schemas on PostgreSQL."""

    def __init__(self, tmp_path: Path, accounts: int = ACCOUNTS, shards: int = SHARDS) -> None:
        self.sandbox = SandboxClient(Sandbox(seed=16, applications=accounts * 4,
                                             accounts=accounts))
        self.shards = shards
        self.tag = uuid.uuid4().hex[:8]
        self.database = f"meltano_{self.tag}"
        psql(f"create database {self.database}")
        self.system_db = URL.rsplit("/", 1)[0] + f"/{self.database}"
        self.home = tmp_path / "dagster"
        self.home.mkdir()
        (self.home / "dagster.yaml").write_text(
            (ROOT / "orchestrate" / "dagster.yaml").read_text())
        # The instance's storage is created once, as `dagster dev` or the daemon would: shards
        # starting together on a new DAGSTER_HOME would race to create its SQLite tables.
        subprocess.run([str(BIN / "dagster"), "instance", "migrate"], cwd=ROOT, check=True,
                       env={**os.environ, "DAGSTER_HOME": str(self.home)}, capture_output=True)
        self.tmp = tmp_path
        #: Settings given to every run beyond the sandbox's config.
        self.settings: dict[str, Any] = {}
        #: Shard steps retried in the last run (after a transient failure).
        self.retried = 0
        # Meltano's system database too, as its first command would: otherwise the shards race
        # to migrate it, and the losers' retries (the RetryPolicy absorbs them) read twice.
        subprocess.run([str(BIN / "meltano"), "state", "list"], cwd=ROOT, check=True,
                       env=self.env("kombo"), capture_output=True)

    def close(self) -> None:
        self.sandbox.server.shutdown()
        psql(f"drop database if exists {self.database} with (force)")
        for provider in FILTER:
            psql(f"drop schema if exists {self.schema(provider)} cascade")

    def schema(self, provider: str) -> str:
        return f"shards_{provider}_{self.tag}"

    def env(self, provider: str) -> dict[str, str]:
        env = meltano_env({**self.sandbox.config(provider), **self.settings})
        env.update({
            "TARGET_POSTGRES_SQLALCHEMY_URL": URL.replace("postgresql://", "postgresql+psycopg://"),
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": self.schema(provider),
            "MELTANO_DATABASE_URI": self.system_db.replace("postgresql://",
                                                           "postgresql+psycopg://"),
            "DAGSTER_HOME": str(self.home)})
        return env

    def start(self, provider: str, *, force: bool = False) -> Shards:
        """One ``dagster asset materialize`` per shard partition, side by side, as the schedule
        starts them."""
        config = self.tmp / f"run-{provider}.yaml"
        config.write_text(json.dumps({  # JSON is YAML
            "ops": {"tap_ats_shard": {"config": {"name": provider, "force": force}}}}))
        env = {**self.env(provider), "TAP_ATS_SHARDS": str(self.shards),
               "TAP_ATS_SHARD_RETRY_DELAY": "0", "TAP_ATS_SHARD_LOGS": str(self.tmp / "logs")}
        return Shards([subprocess.Popen(
            [str(BIN / "dagster"), "asset", "materialize", "-f", "orchestrate/definitions.py",
             "--select", ",".join(f"tap_ats/{t}" for t in STREAM_NAMES),
             "--partition", f"{k}/{self.shards}", "-c", str(config)], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
            for k in range(1, self.shards + 1)])

    def run(self, provider: str, *, force: bool = False) -> int:
        """One whole run of every shard; returns the first sandbox log entry it made."""
        since = len(self.sandbox.sandbox.log)
        proc = self.start(provider, force=force)
        out, _ = proc.communicate(timeout=900)
        self.retried = out.count("STEP_UP_FOR_RETRY")
        assert proc.returncode == 0, "\n".join(
            line for line in out.splitlines() if "ERROR" in line or "Failure" in line)[-6000:]
        return since

    def dbt(self, provider: str) -> str:
        """``dagster job execute`` of the dbt job, into schema ``<source schema>_models``."""
        env = postgres_env(self.env(provider), URL, self.schema(provider),
                           f"{self.schema(provider)}_models")
        env["DBT_TARGET_PATH"] = env["DBT_LOG_PATH"] = str(self.tmp / "dbt")
        done = subprocess.run([str(BIN / "dagster"), "job", "execute", "-f",
                               "orchestrate/definitions.py", "-j", "tap_ats_dbt"], cwd=ROOT,
                              env={**env, "TAP_ATS_SHARDS": str(self.shards),
                                   "TAP_ATS_SHARD_LOGS": str(self.tmp / "logs")},
                              capture_output=True, text=True, timeout=900, check=False)
        assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
        return done.stdout + done.stderr

    def story(self, provider: str, stream: str = "applications") -> str:
        """What each shard run said: the tap's records of ``stream`` per account (its run
        report) and its log but the METRIC lines, for an assertion to show when rows are
        missing."""
        out = []
        for log in sorted((self.tmp / "logs").glob(f"{provider}-shard-*/*.log")):
            report = log.with_suffix(".report.json")
            counts = {a: (o.get("streams") or {}).get(stream, {}).get("records")
                      for a, o in (json.loads(report.read_text()).get("accounts") or {}).items()
                      } if report.exists() else "no run report"
            lines = [line[:300] for line in log.read_text().splitlines() if "METRIC" not in line]
            out += [f"== {log.parent.name}/{log.name}: {stream} records {counts}", *lines[-40:]]
        return "\n".join(out)

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
        """(account, endpoint) → first pages of the list reads, from log entry ``since`` on.

        Incremental reads carry the filter; Kombo's rejection reasons, read whole to look ids
        up, serve their stream from that read, so either read is the endpoint's one read.
        """
        tokens = self.sandbox.sandbox.apis["merge"].tokens
        count: Counter = Counter()
        for entry in list(self.sandbox.sandbox.log)[since:]:
            if entry["provider"] != provider or "cursor=" in entry["query"] or (
                    FILTER[provider] not in entry["query"]
                    and not entry["path"].endswith(LOOKUPS["kombo"])):
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


def shard_keys(cluster: Cluster, provider: str) -> dict[str, str]:
    """Account → what the tap shards it by: the Kombo integration id, the Merge token's key."""
    if provider == "kombo":
        return {a: a for a in accounts_of(provider, cluster)}
    return {account: token_key(token)
            for token, (account, _) in cluster.sandbox.sandbox.apis["merge"].tokens.items()}


def assert_each_account_read_once(cluster: Cluster, provider: str, since: int,
                                  bookmarks: dict[int, dict[str, str]]) -> None:
    pages = cluster.first_pages(provider, since)
    accounts = accounts_of(provider, cluster)
    assert {a for a, _ in pages} == accounts
    # Once each, but for a shard step retried after a transient failure (the retry re-reads).
    assert max(pages.values()) <= 1 + cluster.retried, (
        "an endpoint of an account was read twice in one pass")
    assert len(pages) == len(accounts) * ENDPOINTS[provider]
    # Each shard's state holds exactly its own accounts: disjoint, and together all of them.
    keys = shard_keys(cluster, provider)
    for k, marks in bookmarks.items():
        assert set(marks) == {a for a in accounts if Shard(k, SHARDS).holds(keys[a])}, k
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
    # Incremental: every list request filtered from the account's bookmark (but the lookups read
    # whole: Merge's account details, Kombo's rejection reasons by name), and the rows the
    # second pass wrote are the applications that changed, no more.
    requests = [e for e in list(cluster.sandbox.sandbox.log)[since:]
                if e["provider"] == provider and not e["path"].endswith(LOOKUPS[provider])]
    assert requests and all(FILTER[provider] in e["query"] for e in requests)
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
    assert proc.procs[victim - 1].returncode != 0
    assert all(p.returncode == 0 for k, p in enumerate(proc.procs, 1) if k != victim), out
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


@pg
def test_one_failing_account_is_reported_while_the_rest_lands_and_dbt_runs(tmp_path):
    cluster = Cluster(tmp_path, accounts=8, shards=2)
    try:
        provider = "kombo"
        accounts = sorted(accounts_of(provider, cluster))
        bad = accounts[0]
        cluster.sandbox.faults(**{"5xx_account": bad, "retry_after": 0})
        cluster.settings["retry_budget"] = 2  # the account never recovers: any budget ends so
        cluster.run(provider)  # exit 3 is no failed shard: every run succeeds
        truth = {tuple(k) for k in cluster.sandbox.truth(provider)["applications"]["ids"]}
        landed = cluster.keys(provider, "applications")
        assert landed == {k for k in truth if k[0] != bad}, cluster.story(provider)
        out = cluster.dbt(provider)
        assert "meltano invoke dbt-postgres:build: done" in out
        models = {name for (name,) in psql(
            "select table_name from information_schema.tables where table_schema = "
            f"'{cluster.schema(provider)}_models'")}
        assert {"ats__funnel", "stg_ats__applications"} <= models
        rows = psql(f"select count(*) from {cluster.schema(provider)}_models.stg_ats__applications")
        assert int(rows[0][0]) == len(truth) - len({k for k in truth if k[0] == bad})
        # The failed account: named, with its reason, by the check of its shard's partition.
        failed = "1/2" if Shard(1, 2).holds(bad) else "2/2"
        with dg.DagsterInstance.from_config(str(cluster.home)) as instance:
            checks = {}
            for record in instance.get_run_records():
                for event in instance.all_logs(record.dagster_run.run_id, of_type=(
                        dg.DagsterEventType.ASSET_CHECK_EVALUATION)):
                    data = event.dagster_event.event_specific_data
                    if data.asset_key == dg.AssetKey(["tap_ats", "applications"]):
                        checks[record.dagster_run.tags.get("dagster/partition")] = data
        assert set(checks) == {"1/2", "2/2"}
        assert checks[failed].passed is False
        assert set(checks[failed].metadata["failed accounts"].data) == {bad}
        assert "503" in checks[failed].metadata["failed accounts"].data[bad]
        other = "2/2" if failed == "1/2" else "1/2"
        assert checks[other].passed is True
        logs = list((tmp_path / "logs").glob("kombo-shard-*-of-2/*.log"))
        # One per shard, and one per attempt of a shard step retried (two targets racing to
        # create the schema: the loser dies, its step is retried).
        assert len(logs) == 2 + cluster.retried and all(log.stat().st_size for log in logs)
    finally:
        cluster.close()
