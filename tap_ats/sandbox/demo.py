"""``make demo``: start the sandbox, run ``meltano run tap-ats target-duckdb``, show what landed.

The helpers here (config to Meltano environment, one Meltano run, rows per table) are shared
with the end-to-end tests, so the demo and the tests drive Meltano the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tap_ats.sandbox.server import SCALES, Sandbox, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
MELTANO = str(Path(sys.executable).with_name("meltano"))
ENVIRONMENT = "dev"


def fetch(url: str, data: dict | None = None) -> Any:
    """GET (or POST ``data`` to) a sandbox URL and decode its JSON."""
    body = None if data is None else json.dumps(data).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=60) as resp:  # noqa: S310
        return json.load(resp)


def meltano_env(config: dict[str, Any], duckdb_path: Path | None = None) -> dict[str, str]:
    """The environment that hands ``config`` to Meltano's tap-ats (and the DuckDB path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_ATS_")}
    for key, value in config.items():
        env[f"TAP_ATS_{key.upper()}"] = (json.dumps(value) if isinstance(value, list | dict)
                                         else str(value))
    if duckdb_path is not None:
        env["TARGET_DUCKDB_FILEPATH"] = str(duckdb_path)
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def meltano_run(env: dict[str, str], *args: str, state_suffix: str | None = None,
                loader: str = "target-duckdb") -> subprocess.CompletedProcess[str]:
    """``meltano run tap-ats <loader>`` in this project, output captured."""
    cmd = [MELTANO, f"--environment={ENVIRONMENT}", "run", *args]
    if state_suffix:
        cmd += ["--state-id-suffix", state_suffix]
    cmd += ["tap-ats", loader]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def state_id(state_suffix: str, loader: str = "target-duckdb") -> str:
    """The id under which Meltano keeps the state of ``meltano_run(..., state_suffix)``."""
    return f"{ENVIRONMENT}:tap-ats-to-{loader}:{state_suffix}"


def meltano_state_clear(state_suffix: str, loader: str = "target-duckdb") -> None:
    """Drop a run's state id, so that demos and tests leave nothing in the state store."""
    subprocess.run([MELTANO, "state", "clear", "--force", state_id(state_suffix, loader)],
                   cwd=ROOT, env=meltano_env({}), capture_output=True, check=True)


def table_counts(duckdb_path: Path, schema: str = "tap_ats") -> dict[str, int]:
    """Rows per table in the DuckDB file."""
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "order by 1", [schema]).fetchall()]
        return {t: con.execute(f'select count(*) from {schema}."{t}"').fetchone()[0]  # noqa: S608
                for t in tables}


def main(argv: list[str] | None = None) -> int:
    """Run the demo for one provider (default: every provider the sandbox serves)."""
    parser = argparse.ArgumentParser(prog="python -m tap_ats.sandbox.demo", description=__doc__)
    parser.add_argument("--provider", action="append", help="provider(s) to run")
    parser.add_argument("--scale", choices=SCALES, default="small")
    args = parser.parse_args(argv)
    server = serve_in_thread(Sandbox(42, SCALES[args.scale]))
    print(f"Sandbox on {server.base_url}")
    status = 0
    for provider in args.provider or list(server.sandbox.apis):
        path = ROOT / "output" / f"demo_{provider}.duckdb"
        path.parent.mkdir(exist_ok=True)
        path.unlink(missing_ok=True)
        config = fetch(f"{server.base_url}/_sandbox/config/{provider}")
        print(f"\n$ meltano run tap-ats target-duckdb   # provider={provider}")
        suffix = f"demo-{provider}-{os.getpid()}"
        try:
            result = meltano_run(meltano_env(config, path), state_suffix=suffix)
        finally:
            meltano_state_clear(suffix)
        if result.returncode != 0:
            sys.stderr.write(result.stderr[-3000:])
            status = 1
            continue
        truth = fetch(f"{server.base_url}/_sandbox/truth/{provider}")
        print(f"{'table':<22}{'rows loaded':>12}{'sandbox truth':>15}")
        for table, n in table_counts(path).items():
            expected = truth.get(table, {}).get("count", "-")
            print(f"{table:<22}{n:>12}{expected:>15}")
        print(f"DuckDB file: {path}")
    server.shutdown()
    return status


if __name__ == "__main__":
    sys.exit(main())
