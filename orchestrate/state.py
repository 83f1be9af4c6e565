"""The shards' side of Meltano's state store: state ids, the shard-count guard, resharding.

Each shard k of N keeps its bookmarks under its own Meltano state id (``[name-]shard-k-of-N``) in
the project's system database. Changing N changes every id: the guard refuses a run of another N
until the ``tap_ats_reshard`` job has moved each account's state partitions to the shard that
now holds it, by the tap's own rule (:func:`placement_key`).

orchestrate/definitions.py imports this module as ``orchestrate.state``: Dagster loads that
file (``-f orchestrate/definitions.py``) with the working directory, the repository, on
``sys.path``, and pytest puts the repository there too (``pythonpath``).
"""

# No ``from __future__ import annotations``: Dagster reads the op's signature types at import.
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import yaml

#: The Meltano project the shards run in: this repository unless MELTANO_PROJECT_ROOT says else.
PROJECT = Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path(__file__).resolve().parents[1])


class Pipeline(dg.Config):
    """The extractor and loader a set of shards runs, and the name that tells such sets apart."""

    extractor: str = "tap-ats"
    loader: str = "target-postgres"
    #: Prefixed to each shard's state-id suffix, to tell apart runs of the same extractor and
    #: loader with different settings (another provider, say).
    name: str = ""


class ReshardConfig(Pipeline):
    """Which shards' bookmarks to carry over to which."""

    from_shards: int
    to_shards: int


def meltano_yml() -> dict:
    """The project's meltano.yml."""
    return yaml.safe_load((PROJECT / "meltano.yml").read_text()) or {}


def meltano() -> str:
    """The ``meltano`` installed beside this Python (Dagster's environment), else on PATH."""
    beside = Path(sys.executable).with_name("meltano")
    return str(beside) if beside.exists() else shutil.which("meltano") or "meltano"


def shard_suffix(name: str, k: int, shards: int) -> str:
    """The state-id suffix of shard k of N: ``[name-]shard-k-of-N``."""
    return f"{name}-shard-{k}-of-{shards}" if name else f"shard-{k}-of-{shards}"


def pipeline_id(extractor: str, loader: str, suffix: str) -> str:
    """Meltano's state id for a suffix (environment, pipeline, suffix)."""
    environment = (os.environ.get("MELTANO_ENVIRONMENT")
                   or meltano_yml().get("default_environment"))
    pipeline = f"{extractor}-to-{loader}:{suffix}"
    return f"{environment}:{pipeline}" if environment else pipeline


def state_id(config: Pipeline, k: int, shards: int) -> str:
    """Meltano's state id for shard k of N."""
    return pipeline_id(config.extractor, config.loader, shard_suffix(config.name, k, shards))


def meltano_state(*args: str) -> str:
    """The output of ``meltano state <args>`` (failing loudly)."""
    return subprocess.run([meltano(), "state", *args], cwd=PROJECT, capture_output=True,
                          text=True, check=True).stdout


def read_state(state: str) -> dict:
    """The state stored under an id, ``{}`` when there is none."""
    out = meltano_state("get", state)
    return json.loads(out[out.index("{"):]) if "{" in out else {}


def count_id(config: Pipeline) -> str:
    """The state id that records how many shards the state was built with."""
    return pipeline_id(config.extractor, config.loader,
                       f"{config.name}-shard-count" if config.name else "shard-count")


def record_shard_count(config: Pipeline, shards: int) -> None:
    """Record N as the shard count the shards' state is built with."""
    meltano_state("set", "--force", count_id(config),
                  json.dumps({"singer_state": {"shards": shards}}))


def check_shard_count(config: Pipeline, shards: int) -> None:
    """Refuse to run N shards when the state was built with another N.

    A new N means new state ids: every shard would read its accounts from ``start_date``. The
    first run records N; a later run of another N fails, naming the way out, until
    ``tap_ats_reshard`` has carried the bookmarks over and recorded the new N.
    """
    try:
        recorded = (read_state(count_id(config)).get("singer_state") or {}).get("shards")
    except subprocess.CalledProcessError as error:  # e.g. another shard migrating the database
        raise dg.Failure(description=f"meltano state get failed: {error.stderr[-2000:]}") \
            from error
    if recorded is None:
        record_shard_count(config, shards)
    elif recorded != shards:
        raise dg.Failure(
            description=(f"the shards' state was built with {recorded} shards, this run has "
                         f"{shards}: every account would be read again from start_date. Run "
                         f"tap_ats_reshard (from_shards {recorded}, to_shards {shards}) first, "
                         f"or set TAP_ATS_SHARDS={recorded}; to accept the full re-read, "
                         f"`meltano state clear {count_id(config)}`"),
            allow_retries=False)


def placement_key(partition: dict) -> str:
    """What the tap shards a partition's account by: a Merge token's ``shard_key``, else the id.

    A Merge partition written before the tap kept ``shard_key`` has none and goes by its account
    id, as it was placed then (README: "Past one machine").
    """
    return partition.get("shard_key") or partition["context"]["account_id"]


def place(partitions: list[dict], holds: Callable[[str], bool]) -> list[dict]:
    """The partitions of one stream that a shard ``holds``, one per account.

    Two partitions of one account (a Merge account read with two tokens, or before and after its
    token was rotated) may land in one shard, and a state with two entries of one context is
    refused by the SDK: the later bookmark is kept. Both are bookmarks of complete reads of the
    same account, so the later covers all the earlier does. Bookmarks are the tap's own ISO 8601
    strings, in UTC, so they compare as text; one without a bookmark comes first.
    """
    kept: dict[str, dict] = {}
    for partition in partitions:
        if not holds(placement_key(partition)):
            continue
        context = json.dumps(partition["context"], sort_keys=True)
        held = kept.get(context)
        if held is None or (partition.get("replication_key_value") or "") > (
                held.get("replication_key_value") or ""):
            kept[context] = partition
    return list(kept.values())


@dg.op
def reshard(context: dg.OpExecutionContext, config: ReshardConfig) -> int:
    """Give the shards of a new N the bookmarks their accounts had under the old N.

    Changing N changes every state id, and a new shard without state reads its accounts from
    ``start_date``. This reads every old shard's state, keeps each account's partitions, and
    writes each new shard the partitions it now holds (:func:`place`: so each state holds only
    its own accounts), then records the new N so that the shards' guard lets runs of it start.
    Run it before the first run with the new N; the old state ids are left as they were.
    Returns the number of accounts carried over.
    """
    # The tap's own rule, so that the two can never disagree; only this job needs the tap
    # package beside Dagster (`pip install -e '.[dagster]'` has it).
    from tap_ats.provider import Shard

    if min(config.from_shards, config.to_shards) < 1:
        raise dg.Failure(description="from_shards and to_shards must be at least 1")
    streams: dict[str, list[dict]] = {}
    for k in range(1, config.from_shards + 1):
        got = read_state(state_id(config, k, config.from_shards))
        for stream, bookmark in (got.get("singer_state") or {}).get("bookmarks", {}).items():
            streams.setdefault(stream, []).extend(bookmark.get("partitions") or [])
    accounts = {p["context"]["account_id"] for parts in streams.values() for p in parts}
    if not accounts:  # a wrong name, loader or N: write nothing rather than empty states
        raise dg.Failure(description=f"no bookmarks under {state_id(config, 1, config.from_shards)}"
                                     f" … {config.from_shards}: check the config")
    for k in range(1, config.to_shards + 1):
        shard = Shard(k, config.to_shards)
        bookmarks = {stream: {"partitions": place(parts, shard.holds)}
                     for stream, parts in streams.items()}
        target = state_id(config, k, config.to_shards)
        meltano_state("set", "--force", target,
                      json.dumps({"singer_state": {"bookmarks": bookmarks}}))
        held = {p["context"]["account_id"] for b in bookmarks.values() for p in b["partitions"]}
        context.log.info(f"{target}: bookmarks of {len(held)} accounts")
    record_shard_count(config, config.to_shards)
    return len(accounts)


@dg.job
def tap_ats_reshard() -> None:
    """Carry bookmarks over when the number of shards changes."""
    reshard()
