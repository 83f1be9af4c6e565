"""Every provider through ``meltano run tap-ats target-postgres`` into a real PostgreSQL server.

`.ci/run` starts one with scripts/postgres.sh and exports its URL as TAP_ATS_TEST_POSTGRES;
without it (a laptop without PostgreSQL) these tests are skipped.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from test_reliability import PROVIDERS, assert_matches, streams_of

from tap_ats.sandbox.demo import meltano_env, meltano_run, meltano_state_clear

URL = os.environ.get("TAP_ATS_TEST_POSTGRES")
pytestmark = pytest.mark.skipif(not URL, reason="TAP_ATS_TEST_POSTGRES not set (see .ci/run)")


def keys(schema: str, table: str, where: str = "true") -> set[tuple[str, str]]:
    out = subprocess.run(["psql", URL, "-At", "-F", "\t", "-c",
                          f'select account_id, id from "{schema}"."{table}" where {where}'],
                         capture_output=True, text=True, check=True).stdout
    return {tuple(line.split("\t")) for line in out.splitlines() if line}


#: The ``batch`` capability is the SDK's, the same whatever stream writes it: Greenhouse (lookups,
#: full-table streams, native stage rows) and Kombo (sightings, deletes) carry it end to end.
CASES = [(provider, False) for provider in PROVIDERS] + [("greenhouse", True), ("kombo", True)]


@pytest.mark.parametrize(("provider", "batch"), CASES,
                         ids=[f"{p}-{'batch' if b else 'records'}" for p, b in CASES])
def test_postgres_full_then_incremental_equals_truth(sandbox, provider, batch, tmp_path):
    """Also the `batch` capability end to end: gzipped JSONL files that target-postgres loads."""
    schema = f"tap_ats_{provider}_{uuid.uuid4().hex[:8]}"
    config = sandbox.config(provider)
    if batch:
        config["batch_config"] = {"encoding": {"format": "jsonl", "compression": "gzip"},
                                  "storage": {"root": tmp_path.as_uri(), "prefix": "batch-"}}
    env = meltano_env(config)
    env.update({"TARGET_POSTGRES_SQLALCHEMY_URL": URL.replace("postgresql://",
                                                               "postgresql+psycopg://"),
                "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema})
    suffix = f"pg-{uuid.uuid4().hex[:8]}"
    try:
        for round_ in range(2):
            if round_:
                sandbox.advance(25, provider)
            result = meltano_run(env, state_suffix=suffix, loader="target-postgres")
            assert result.returncode == 0, result.stderr[-3000:]
            assert bool(list(tmp_path.glob("batch-*"))) == batch
            truth = sandbox.truth(provider)
            assert_matches(provider, {s: keys(schema, s) for s in streams_of(truth)}, truth)
            deleted = {tuple(k) for k in truth["applications"]["deleted_ids"]}
            assert keys(schema, "applications", "_sdc_deleted_at is not null") == deleted
    finally:
        meltano_state_clear(suffix, loader="target-postgres")
