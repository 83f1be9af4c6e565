"""Dagster definitions: tap-ats accounts split over parallel ``meltano run``s, then dbt.

One job, ``tap_ats_shards``:

1. ``plan`` brings Meltano's system database up to date once (Meltano migrates it at the start
   of every command, with no lock between processes, so N shards starting together on a new
   PostgreSQL database would race), then fans out one shard per ``k`` in ``1..shards``.
2. ``sync_shard`` runs ``meltano run --state-id-suffix [name-]shard-k-of-N <extractor> <loader>``
   with ``<EXTRACTOR>_ACCOUNT_SHARD=k/N``: the shard reads only its accounts and keeps its own
   Meltano state id. The shards run in parallel (one process each with the multiprocess
   executor, one pod each with ``dagster-k8s``'s ``k8s_job_executor``); a shard that fails fails
   alone, and the job with it.
3. ``transform`` runs ``meltano invoke dbt-postgres:build`` once every shard has succeeded, and
   is skipped (with a log line) when the Meltano project has no such utility.

A second job, ``tap_ats_reshard``, carries the accounts' bookmarks over when N changes.

Everything else (the tap's settings, the loader's URL, ``MELTANO_DATABASE_URI`` for a state
store every shard shares) comes from the environment, as for any ``meltano run``. Run it from
the repository: ``dagster job execute -f orchestrate/definitions.py -j tap_ats_shards`` (``-c
orchestrate/run.yaml`` to change the defaults), or ``dagster dev -f orchestrate/definitions.py``.
``TAP_ATS_DAGSTER_EXECUTOR=k8s`` selects the Kubernetes executor (README: "On Kubernetes").
"""

# No ``from __future__ import annotations``: Dagster reads the op signatures' types at import.
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import yaml
from dotenv import dotenv_values

#: The Meltano project the shards run in: this repository unless MELTANO_PROJECT_ROOT says else.
PROJECT = Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path(__file__).resolve().parents[1])
#: Seconds a shard's processes get to stop after SIGTERM (a terminated run) before SIGKILL.
STOP_GRACE = 30


class ShardsConfig(dg.Config):
    """How one run is split."""

    shards: int = 4
    extractor: str = "tap-ats"
    loader: str = "target-postgres"
    #: Prefixed to each shard's state-id suffix, to tell apart runs of the same extractor and
    #: loader with different settings (another provider, say).
    name: str = ""
    #: Start a shard even though Meltano still counts an earlier run of it as running. Meltano
    #: refuses a state id whose last run sent a heartbeat in the past 5 minutes, which is what
    #: a killed shard leaves behind; set this to re-run it at once, knowing it is dead.
    force: bool = False


class TransformConfig(dg.Config):
    """The dbt step."""

    #: A Meltano utility command; "" turns the step off.
    command: str = "dbt-postgres:build"


def meltano_yml() -> dict:
    """The project's meltano.yml."""
    return yaml.safe_load((PROJECT / "meltano.yml").read_text()) or {}


def meltano() -> str:
    """The ``meltano`` installed beside this Python (Dagster's environment), else on PATH."""
    beside = Path(sys.executable).with_name("meltano")
    return str(beside) if beside.exists() else shutil.which("meltano") or "meltano"


def run_meltano(context: dg.OpExecutionContext, args: list[str], env: dict[str, str]) -> None:
    """Run ``meltano <args>`` in the project; fail the step, with the log's tail, if it fails.

    Meltano's log goes to a temporary file, not to Dagster's event log, which would store every
    line of every shard. It runs in its own process group, so that a terminated run stops the
    tap and the target along with Meltano instead of leaving them behind.
    """
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen([meltano(), *args], cwd=PROJECT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait()
        except BaseException:  # Dagster interrupts the step when the run is terminated
            stop(proc)
            raise
        log.seek(0)
        tail = "".join(deque(log, maxlen=30))
    if code != 0:
        context.log.error(f"meltano {' '.join(args)} exited with {code}; its log ends:\n{tail}")
        raise dg.Failure(description=f"meltano {' '.join(args)} exited with {code}",
                         metadata={"log tail": dg.MetadataValue.text(tail)})
    context.log.info(f"meltano {' '.join(args)}: done")


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
        if entry.is_dir() and entry.name not in ("run", "shards") and not link.exists():
            link.symlink_to(entry, target_is_directory=True)
    env = {**os.environ, "MELTANO_SYS_DIR_ROOT": str(own)}
    env[re.sub(r"[^A-Z0-9]", "_", extractor.upper()) + "_ACCOUNT_SHARD"] = shard
    configured = (os.environ.get("MELTANO_DATABASE_URI")
                  or dotenv_values(PROJECT / ".env").get("MELTANO_DATABASE_URI")
                  or meltano_yml().get("database_uri"))
    if not configured:
        env["MELTANO_DATABASE_URI"] = f"sqlite:///{system / 'meltano.db'}"
    return env


def shard_suffix(name: str, k: int, shards: int) -> str:
    """The state-id suffix of shard k of N: ``[name-]shard-k-of-N``."""
    return f"{name}-shard-{k}-of-{shards}" if name else f"shard-{k}-of-{shards}"


@dg.op(out=dg.DynamicOut(dict))
def plan(context: dg.OpExecutionContext,
         config: ShardsConfig) -> Iterator[dg.DynamicOutput[dict]]:
    """Migrate the system database once, then one output per shard."""
    if config.shards < 1:
        raise dg.Failure(description=f"shards must be at least 1, got {config.shards}")
    run_meltano(context, ["state", "list"], dict(os.environ))
    for k in range(1, config.shards + 1):
        yield dg.DynamicOutput(
            {"shard": f"{k}/{config.shards}", "extractor": config.extractor,
             "loader": config.loader, "force": config.force,
             "suffix": shard_suffix(config.name, k, config.shards)},
            mapping_key=f"shard_{k}_of_{config.shards}")


@dg.op
def sync_shard(context: dg.OpExecutionContext, shard: dict) -> str:
    """``meltano run`` for one shard of the accounts, under the shard's own state id."""
    force = ["--force"] if shard["force"] else []
    run_meltano(context, ["run", *force, "--state-id-suffix", shard["suffix"],
                          shard["extractor"], shard["loader"]],
                shard_env(shard["extractor"], shard["shard"], shard["suffix"]))
    return shard["shard"]


def project_plugins() -> set[str]:
    """Names of the plugins declared in the project's meltano.yml."""
    return {plugin["name"] for plugins in (meltano_yml().get("plugins") or {}).values()
            for plugin in plugins or []}


@dg.op
def transform(context: dg.OpExecutionContext, shards: list[str],
              config: TransformConfig) -> bool:
    """The dbt models over everything the shards loaded; False when there are none to run."""
    utility = config.command.split(":")[0]
    if not utility or utility not in project_plugins():
        context.log.info(f"transform skipped: no {utility or 'dbt'} utility in meltano.yml")
        return False
    run_meltano(context, ["invoke", config.command], dict(os.environ))
    context.log.info(f"transform ran after shards {', '.join(sorted(shards))}")
    return True


class ReshardConfig(dg.Config):
    """Which shards' bookmarks to carry over to which."""

    from_shards: int
    to_shards: int
    extractor: str = "tap-ats"
    loader: str = "target-postgres"
    name: str = ""


def state_id(config: ReshardConfig, k: int, shards: int) -> str:
    """Meltano's state id for shard k of N (environment, pipeline, suffix)."""
    environment = (os.environ.get("MELTANO_ENVIRONMENT")
                   or meltano_yml().get("default_environment"))
    pipeline = f"{config.extractor}-to-{config.loader}:{shard_suffix(config.name, k, shards)}"
    return f"{environment}:{pipeline}" if environment else pipeline


def meltano_state(*args: str) -> str:
    """The output of ``meltano state <args>`` (failing loudly)."""
    return subprocess.run([meltano(), "state", *args], cwd=PROJECT, capture_output=True,
                          text=True, check=True).stdout


@dg.op
def reshard(context: dg.OpExecutionContext, config: ReshardConfig) -> int:
    """Give the shards of a new N the bookmarks their accounts had under the old N.

    Changing N changes every state id, and a new shard without state reads its accounts from
    ``start_date``. This reads every old shard's state, keeps each account's partitions, and
    writes each new shard the partitions of the accounts that now hash to it (so each state
    holds only its own accounts). Run it before the first run with the new N; the old state
    ids are left as they were. Returns the number of accounts carried over.
    """
    # The tap's own rule, so that the two can never disagree; only this job needs the tap
    # package beside Dagster (`pip install -e '.[dagster]'` has it).
    from tap_ats.providers import Shard

    if min(config.from_shards, config.to_shards) < 1:
        raise dg.Failure(description="from_shards and to_shards must be at least 1")
    streams: dict[str, list[dict]] = {}
    for k in range(1, config.from_shards + 1):
        got = json.loads(meltano_state("get", state_id(config, k, config.from_shards)) or "{}")
        for stream, bookmark in (got.get("singer_state") or {}).get("bookmarks", {}).items():
            streams.setdefault(stream, []).extend(bookmark.get("partitions") or [])
    accounts = {p["context"]["account_id"] for parts in streams.values() for p in parts}
    if not accounts:  # a wrong name, loader or N: write nothing rather than empty states
        raise dg.Failure(description=f"no bookmarks under {state_id(config, 1, config.from_shards)}"
                                     f" … {config.from_shards}: check the config")
    for k in range(1, config.to_shards + 1):
        shard = Shard(k, config.to_shards)
        bookmarks = {stream: {"partitions": [p for p in parts
                                             if shard.holds(p["context"]["account_id"])]}
                     for stream, parts in streams.items()}
        target = state_id(config, k, config.to_shards)
        meltano_state("set", "--force", target,
                      json.dumps({"singer_state": {"bookmarks": bookmarks}}))
        context.log.info(f"{target}: bookmarks of "
                         f"{sum(shard.holds(a) for a in accounts)} accounts")
    return len(accounts)


@dg.configured(dg.multiprocess_executor, config_schema={
    "max_concurrent": dg.Field(int, default_value=16, description=(
        "Shards run at once. They wait on the APIs and the target rather than on this "
        "machine's CPU, so the default is not the core count."))})
def shards_executor(config: dict) -> dict:
    """The multiprocess executor, as many shards at once as configured (not one per core)."""
    return {"max_concurrent": config["max_concurrent"]}


def executor() -> dg.ExecutorDefinition:
    """One process per shard here; one pod per shard with ``TAP_ATS_DAGSTER_EXECUTOR=k8s``."""
    if os.environ.get("TAP_ATS_DAGSTER_EXECUTOR") == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    return shards_executor


@dg.job(executor_def=executor())
def tap_ats_shards() -> None:
    """The accounts of one extractor in parallel shards, then the dbt models."""
    transform(plan().map(sync_shard).collect())


@dg.job
def tap_ats_reshard() -> None:
    """Carry bookmarks over when the number of shards changes."""
    reshard()


defs = dg.Definitions(jobs=[tap_ats_shards, tap_ats_reshard])
