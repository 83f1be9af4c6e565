"""Dagster definitions: tap-ats accounts as assets partitioned by ``meltano run`` shard, then dbt.

**Assets.** ``tap_ats_shard`` is one multi-asset: the tables the tap loads (``tap_ats/<stream>``),
partitioned by shard (``"1/N"`` … ``"N/N"``, N from ``TAP_ATS_SHARDS``, default 4). Materializing
partition ``k/N`` runs ``meltano run --state-id-suffix [name-]shard-k-of-N <extractor> <loader>``
with ``<EXTRACTOR>_ACCOUNT_SHARD=k/N``: the shard reads only its accounts, under its own Meltano
state id. One run per partition, so shards run in parallel, retry alone and show alone in the UI.
``dbt_models`` is the dbt models (``analytics/<model>``, lineage read from the models' ``ref``
and ``source`` calls), built by ``meltano invoke dbt-postgres:build``.

**Why not dagster-dbt.** It needs dbt-core and an adapter in Dagster's own environment, and
dbt-core 1.10 requires protobuf < 7 while Dagster's grpcio here is pinned with protobuf 7: the
two cannot share one ``requirements.lock``. dbt already runs, pinned, as the Meltano utilities
of meltano.yml (its own venv, its profiles from Meltano settings), so the dbt asset invokes that
and declares the models as asset keys; what dagster-dbt would add (per-model events) is not
worth a second dbt installation that can drift from the one the tests use.

**Schedule.** ``tap_ats_nightly`` (cron ``TAP_ATS_SCHEDULE``, default ``0 2 * * *`` UTC) requests
one run per shard partition. the dbt models carry ``AutomationCondition.eager()``, evaluated
by the ``tap_ats_dbt_after_shards`` sensor (running by default): dbt runs once the shards it
reads have been updated and none is still in progress, so it runs after every tick, over every
account that committed, whatever happened to the others.

**Outcomes.** Meltano exits 1 whenever the tap fails, so the shard reads the tap's own exit code
from its run report (``<EXTRACTOR>_RUN_REPORT``, one per shard and attempt). Exit 0: materialized,
checks pass. Exit 3 (some accounts failed, every other account committed): materialized, and the
``accounts_loaded`` check of each table fails naming the accounts and reasons; no retry, which
would re-read every account of the shard for the few that failed. Exit 2 (a setting is wrong):
fails at once. Anything else (the run failed, the loader failed, no report): fails and is retried
by ``SHARD_RETRY``, exponential backoff, for transient failures (an API or database outage,
Meltano migrating its system database in another shard at the same moment).

**Guards.** Two runs of one shard never overlap: runs of a partition carry the
``dagster/partition`` tag, and orchestrate/dagster.yaml limits runs per unique value of it to
one (the instance's run queue: later runs wait); a run that bypasses the queue (``dagster asset
materialize``) fails at start when another run of its partition is in progress, and Meltano
itself refuses a state id whose run is alive. A changed N would give every shard a new state id,
hence a full re-read: the shard count the state was built with is kept in the state store
(``...:[name-]shard-count``) and a run of another N fails until ``tap_ats_reshard`` has moved the
bookmarks to it (it records the new N).

**Logs.** Every ``meltano`` command's output goes to a file kept after success:
``TAP_ATS_SHARD_LOGS`` (default ``.meltano/logs/dagster``)``/<suffix>/<run id>-<attempt>.log``,
its path in the materialization's metadata, the tail in the failure's.

Run it from the repository: ``dagster dev -f orchestrate/definitions.py`` with
``DAGSTER_HOME`` holding orchestrate/dagster.yaml; or without the UI,
``dagster asset materialize -f orchestrate/definitions.py --select 'tap_ats/*' --partition 1/4``
and ``dagster job execute -f orchestrate/definitions.py -j tap_ats_dbt``.
``TAP_ATS_DAGSTER_EXECUTOR=k8s`` runs each step in its own pod (README: "On Kubernetes").
The state ids, the shard-count guard and ``tap_ats_reshard`` live in orchestrate/state.py.
"""

# No ``from __future__ import annotations``: Dagster reads the asset signatures' types at import.
import contextlib
import graphlib
import json
import os
import re
import signal
import subprocess
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dotenv import dotenv_values

from orchestrate.state import (
    PROJECT,
    Pipeline,
    check_shard_count,
    meltano,
    meltano_yml,
    shard_suffix,
    tap_ats_reshard,
)

#: Seconds a shard's processes get to stop after SIGTERM (a terminated run) before SIGKILL.
STOP_GRACE = 30
#: N: the shard partitions are "1/N" … "N/N". Changing it needs tap_ats_reshard (see Guards).
SHARDS = int(os.environ.get("TAP_ATS_SHARDS") or 4)
#: When the schedule starts every shard (cron, UTC).
SCHEDULE = os.environ.get("TAP_ATS_SCHEDULE") or "0 2 * * *"
#: Where every meltano command's output is kept, one file per shard (or dbt) and run attempt.
LOGS = Path(os.environ.get("TAP_ATS_SHARD_LOGS") or PROJECT / ".meltano" / "logs" / "dagster")
#: The tables tap-ats loads (tap_ats.streams.STREAM_NAMES; a test keeps the two equal, so that
#: loading these definitions never needs the tap installed).
TABLES = ["applications", "application_stages", "jobs", "job_stages", "interviews",
          "candidates", "candidate_history", "users", "offers", "departments", "offices",
          "rejection_reasons", "sources", "job_hiring_team", "scorecards", "demographics",
          "custom_field_definitions"]
#: The run tag Dagster sets on each partition's run, which the run queue limits per value.
PARTITION_TAG = "dagster/partition"

shard_partitions = dg.StaticPartitionsDefinition([f"{k}/{SHARDS}" for k in range(1, SHARDS + 1)])

#: Transient shard failures: 3 more attempts, 1, 2 then 4 times the delay (60 s unless
#: TAP_ATS_SHARD_RETRY_DELAY says else), jittered so that failed shards do not retry in step.
SHARD_RETRY = dg.RetryPolicy(max_retries=3,
                             delay=float(os.environ.get("TAP_ATS_SHARD_RETRY_DELAY") or 60),
                             backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


class ShardConfig(Pipeline):
    """What a shard runs (the same for every shard of one set of partitions)."""

    #: Start a shard even though Meltano still counts an earlier run of it as running. Meltano
    #: refuses a state id whose last run sent a heartbeat in the past 5 minutes, which is what
    #: a killed shard leaves behind; set this to re-run it at once, knowing it is dead.
    force: bool = False


class TransformConfig(dg.Config):
    """The dbt step."""

    #: A Meltano utility command; "" turns the step off.
    command: str = "dbt-postgres:build"


def run_logged(args: list[str], env: dict[str, str], log: Path) -> int:
    """Run ``meltano <args>`` in the project, its output in ``log``; its exit code.

    The output goes to a file, not to Dagster's event log, which would store every line of
    every shard. It runs in its own process group, so that a terminated run stops the tap and
    the target along with Meltano instead of leaving them behind.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen([meltano(), *args], cwd=PROJECT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return proc.wait()
        except BaseException:  # Dagster interrupts the step when the run is terminated
            stop(proc)
            raise


def new_log(folder: Path, run_id: str) -> Path:
    """A log file of its own for this attempt of a run: ``<folder>/<run id>-<attempt>.log``."""
    folder.mkdir(parents=True, exist_ok=True)
    attempt = 0
    while (folder / f"{run_id}-{attempt}.log").exists():
        attempt += 1
    return folder / f"{run_id}-{attempt}.log"


def tail(log: Path) -> str:
    """The last 30 lines of a log."""
    with log.open() as lines:
        return "".join(deque(lines, maxlen=30))


def failure(context: dg.OpExecutionContext, args: list[str], code: int, log: Path,
            retry: bool = True) -> dg.Failure:
    """The failure of ``meltano <args>``, with its log's tail and path (logged too)."""
    context.log.error(f"meltano {' '.join(args)} exited with {code}; its log ({log}) ends:\n"
                      f"{tail(log)}")
    return dg.Failure(description=f"meltano {' '.join(args)} exited with {code}",
                      metadata={"log tail": dg.MetadataValue.text(tail(log)),
                                "log": dg.MetadataValue.path(str(log))},
                      allow_retries=retry)


def run_meltano(context: dg.OpExecutionContext, args: list[str], env: dict[str, str],
                log: Path) -> None:
    """Run ``meltano <args>``, its output kept in ``log``; fail the step if it fails."""
    code = run_logged(args, env, log)
    if code != 0:
        raise failure(context, args, code, log)
    context.log.info(f"meltano {' '.join(args)}: done (log: {log})")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group (Meltano, the tap, the target), SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def setting_env(plugin: str, setting: str) -> str:
    """Meltano's environment variable for a plugin's setting (``TAP_ATS_ACCOUNT_SHARD``)."""
    return re.sub(r"[^A-Z0-9]", "_", f"{plugin}_{setting}".upper())


def shard_env(extractor: str, shard: str, suffix: str) -> dict[str, str]:
    """The environment of one shard's ``meltano run``: its ``account_shard``, its own run files.

    Meltano 4 writes a tap's catalog, input state and output to fixed names under
    ``.meltano/run/<plugin>/``, so two runs of one extractor in one project would read each
    other's files (a shard could start from another shard's bookmarks). Each shard therefore
    gets its own ``MELTANO_SYS_DIR_ROOT``, linking back to the installed plugins. The system
    database stays the one every shard shares: the ``database_uri`` the project sets (in the
    environment, ``.env`` or meltano.yml; PostgreSQL for shards on many machines), else the
    project's own SQLite file, which Meltano would otherwise look for in the shard's directory.
    """
    system = PROJECT / ".meltano"
    own = system / "shards" / suffix
    own.mkdir(parents=True, exist_ok=True)
    for entry in system.iterdir():
        link = own / entry.name
        if entry.is_dir() and entry.name not in ("run", "shards", "logs") \
                and not link.exists():
            link.symlink_to(entry, target_is_directory=True)
    env = {**os.environ, "MELTANO_SYS_DIR_ROOT": str(own)}
    env[setting_env(extractor, "account_shard")] = shard
    configured = (os.environ.get("MELTANO_DATABASE_URI")
                  or dotenv_values(PROJECT / ".env").get("MELTANO_DATABASE_URI")
                  or meltano_yml().get("database_uri"))
    if not configured:
        env["MELTANO_DATABASE_URI"] = f"sqlite:///{system / 'meltano.db'}"
    return env


def refuse_overlap(context: dg.AssetExecutionContext) -> None:
    """Fail when another run of this shard is in progress (a run that bypassed the queue)."""
    busy = context.instance.get_run_records(dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED],
        tags={PARTITION_TAG: context.partition_key}))
    others = [r.dagster_run.run_id for r in busy if r.dagster_run.run_id != context.run_id
              and dg.AssetKey(["tap_ats", TABLES[0]]) in (r.dagster_run.asset_selection or ())]
    if others:
        raise dg.Failure(description=f"shard {context.partition_key} is already running in run "
                                     f"{others[0]}", allow_retries=False)


def read_report(path: Path) -> dict:
    """The tap's run report, ``{}`` when it wrote none (it failed before it could)."""
    return json.loads(path.read_text()) if path.exists() else {}


def failed_accounts(report: dict, table: str) -> dict[str, str]:
    """Account → reason, for the accounts whose rows of ``table`` did not all commit."""
    out = {}
    for account, outcome in (report.get("accounts") or {}).items():
        stream = (outcome.get("streams") or {}).get(table)
        if stream and stream.get("status") == "failed":
            out[account] = stream.get("reason") or outcome.get("reason") or "failed"
        elif stream is None and outcome.get("status") == "failed":
            out[account] = outcome.get("reason") or "failed"
    return out


def loader_succeeded(log: Path) -> bool:
    """Whether Meltano says the tap alone failed (then what the tap reports is committed).

    Meltano writes ``Extractor failed`` only when the loader exited 0. This asks for that
    line rather than for the absence of ``Loader failed``: a loader that dies early (two
    shards racing to create a schema) can take Meltano down with a BrokenPipeError before it
    says anything about the loader, and a shard whose tap exited 3 would pass with no row
    committed.
    """
    return re.search(r"\bmeltano\s+Extractor failed\s*$", log.read_text(), re.MULTILINE) \
        is not None


@dg.multi_asset(
    name="tap_ats_shard",
    specs=[dg.AssetSpec(["tap_ats", table], partitions_def=shard_partitions, group_name="tap_ats",
                        kinds={"meltano"},
                        description=f"The unified `{table}` rows of the shard's accounts.")
           for table in TABLES],
    check_specs=[dg.AssetCheckSpec(
        "accounts_loaded", asset=["tap_ats", table],
        description="Every account of the shard committed this table (the tap's run report).")
        for table in TABLES],
    retry_policy=SHARD_RETRY,
)
def tap_ats_shard(context: dg.AssetExecutionContext,
                  config: ShardConfig) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """``meltano run`` of one shard's accounts; failed accounts fail its checks, not the run."""
    k, shards = map(int, context.partition_key.split("/"))
    refuse_overlap(context)
    check_shard_count(config, shards)
    suffix = shard_suffix(config.name, k, shards)
    log = new_log(LOGS / suffix, context.run_id)
    report_path = log.with_suffix(".report.json")
    env = shard_env(config.extractor, context.partition_key, suffix)
    env[setting_env(config.extractor, "run_report")] = str(report_path)
    args = ["run", *(["--force"] if config.force else []), "--state-id-suffix", suffix,
            config.extractor, config.loader]
    code = run_logged(args, env, log)
    report = read_report(report_path)
    tap_code = report.get("exit_code", code)
    if code != 0 and (tap_code != 3 or not loader_succeeded(log)):
        raise failure(context, args, code, log, retry=tap_code != 2)
    context.log.info(f"shard {context.partition_key}: meltano exited with {code}, the tap "
                     f"with {tap_code} (log: {log})")
    for table in TABLES:
        key = dg.AssetKey(["tap_ats", table])
        streams = [a.get("streams", {}).get(table) or {}
                   for a in (report.get("accounts") or {}).values()]
        yield dg.MaterializeResult(asset_key=key, metadata={
            "records": sum(s.get("records", 0) for s in streams),
            "tap exit code": tap_code,
            "log": dg.MetadataValue.path(str(log)),
            "run report": dg.MetadataValue.path(str(report_path))})
        failed = failed_accounts(report, table)
        yield dg.AssetCheckResult(
            asset_key=key, check_name="accounts_loaded", passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(f"{len(failed)} accounts failed: " + "; ".join(
                f"{a}: {r}" for a, r in sorted(failed.items()))) if failed else None,
            metadata={"failed accounts": dg.MetadataValue.json(failed),
                      "shard": context.partition_key})


def project_plugins() -> set[str]:
    """Names of the plugins declared in the project's meltano.yml."""
    return {plugin["name"] for plugins in (meltano_yml().get("plugins") or {}).values()
            for plugin in plugins or []}


def read_dbt_models() -> dict[str, set[dg.AssetKey]]:
    """Each dbt model of transform/ → the assets it reads, from its ``ref`` and ``source`` calls."""
    models = {}
    for sql in sorted((PROJECT / "transform" / "models").rglob("*.sql")):
        text = sql.read_text()
        models[sql.stem] = (
            {dg.AssetKey(["analytics", m]) for m in re.findall(r"ref\(\s*'(\w+)'\s*\)", text)}
            | {dg.AssetKey(["tap_ats", t])
               for t in re.findall(r"source\(\s*'tap_ats'\s*,\s*'(\w+)'\s*\)", text)})
    return models


@dg.multi_asset(
    name="dbt_models",
    # Skippable: a project without the dbt utility materializes nothing, and says so.
    specs=[dg.AssetSpec(["analytics", model], deps=deps, group_name="dbt", kinds={"dbt"},
                        skippable=True, automation_condition=dg.AutomationCondition.eager())
           for model, deps in read_dbt_models().items()],
)
def dbt_models(context: dg.AssetExecutionContext,
                config: TransformConfig) -> Iterator[dg.MaterializeResult]:
    """The dbt models over every account the shards committed (``meltano invoke``)."""
    utility = config.command.split(":")[0]
    if not utility or utility not in project_plugins():
        context.log.info(f"transform skipped: no {utility or 'dbt'} utility in meltano.yml")
        return
    log = new_log(LOGS / "dbt", context.run_id)
    run_meltano(context, ["invoke", config.command], dict(os.environ), log)
    # Dagster wants a multi-asset's outputs in dependency order: a model after what it reads.
    order = graphlib.TopologicalSorter(
        {dg.AssetKey(["analytics", model]): deps for model, deps in read_dbt_models().items()})
    for key in order.static_order():
        if key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key,
                                       metadata={"log": dg.MetadataValue.path(str(log))})


def executor() -> dg.ExecutorDefinition:
    """One process per step here; one pod per step with ``TAP_ATS_DAGSTER_EXECUTOR=k8s``."""
    if os.environ.get("TAP_ATS_DAGSTER_EXECUTOR") == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    return dg.multiprocess_executor


tap_ats_shards = dg.define_asset_job(
    "tap_ats_shards", selection=dg.AssetSelection.assets(tap_ats_shard),
    executor_def=executor(),
    description="One shard's accounts into the warehouse (one run per partition).")

tap_ats_dbt_job = dg.define_asset_job(
    "tap_ats_dbt", selection=dg.AssetSelection.assets(dbt_models), executor_def=executor(),
    description="The dbt models, at once (the sensor runs them after the shards).")


@dg.schedule(job=tap_ats_shards, cron_schedule=SCHEDULE, execution_timezone="UTC")
def tap_ats_nightly(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
    """Every shard, one run each (the run queue keeps each shard to one run at a time)."""
    tick = context.scheduled_execution_time.isoformat() if context.scheduled_execution_time \
        else "now"
    for key in shard_partitions.get_partition_keys():
        yield dg.RunRequest(run_key=f"{key}@{tick}", partition_key=key)


dbt_after_shards = dg.AutomationConditionSensorDefinition(
    "tap_ats_dbt_after_shards", target=dg.AssetSelection.assets(dbt_models),
    default_status=dg.DefaultSensorStatus.RUNNING)


defs = dg.Definitions(assets=[tap_ats_shard, dbt_models],
                      jobs=[tap_ats_shards, tap_ats_dbt_job, tap_ats_reshard],
                      schedules=[tap_ats_nightly], sensors=[dbt_after_shards])
