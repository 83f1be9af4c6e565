"""``make demo``: every provider into one DuckDB warehouse, the dbt models built once, shown.

Per provider, under its own Meltano state id: a full ``meltano run tap-ats target-duckdb``; the
sandbox then moves applications on (stage moves, hires, rejections, deletions), and a second run
reads the changes, so that the observed stage history of Kombo and Merge has visits to fold. The
last provider's second run is ``meltano run tap-ats target-duckdb dbt-duckdb:build``, which builds
the models over every provider side by side, as a warehouse fed by several ATSs is built. The demo
shows each provider's rows, funnel, offer acceptance and source effectiveness, and ends by writing
``output/report.html`` from the marts (``python -m report``, beside the tap).

The helpers here (config to Meltano environment, one Meltano run, rows per table) are shared
with the end-to-end tests, so the demo and the tests drive Meltano the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.parse
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
    """The environment that hands ``config`` to Meltano's tap-ats (and the DuckDB file).

    The file goes to target-duckdb and dbt-duckdb alike, so the models read what was loaded.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_ATS_")}
    for key, value in config.items():
        env[f"TAP_ATS_{key.upper()}"] = (json.dumps(value) if isinstance(value, list | dict)
                                         else str(value))
    if duckdb_path is not None:
        env["TARGET_DUCKDB_FILEPATH"] = env["DBT_DUCKDB_PATH"] = str(duckdb_path)
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def postgres_env(env: dict[str, str], url: str, source_schema: str,
                 models_schema: str) -> dict[str, str]:
    """``env`` plus what target-postgres and dbt-postgres need to share one PostgreSQL database.

    ``url`` is ``postgresql://user[:password]@host[:port]/dbname``; the target loads
    ``source_schema`` and dbt reads it and builds the models in ``models_schema``.
    """
    parts = urllib.parse.urlsplit(url)
    return {**env,
            "TARGET_POSTGRES_SQLALCHEMY_URL": url.replace("postgresql://", "postgresql+psycopg://",
                                                          1),
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": source_schema,
            "DBT_POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "DBT_POSTGRES_PORT": str(parts.port or 5432),
            "DBT_POSTGRES_USER": urllib.parse.unquote(parts.username or ""),
            "DBT_POSTGRES_PASSWORD": urllib.parse.unquote(parts.password or ""),
            "DBT_POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
            "DBT_POSTGRES_SOURCE_SCHEMA": source_schema,
            "DBT_POSTGRES_SCHEMA": models_schema}


def meltano_run(env: dict[str, str], *args: str, state_suffix: str | None = None,
                loader: str = "target-duckdb",
                then: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """``meltano run tap-ats <loader> [then...]`` in this project, output captured."""
    cmd = [MELTANO, f"--environment={ENVIRONMENT}", "run", *args]
    if state_suffix:
        cmd += ["--state-id-suffix", state_suffix]
    cmd += ["tap-ats", loader, *then]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def state_id(state_suffix: str, loader: str = "target-duckdb") -> str:
    """The id under which Meltano keeps the state of ``meltano_run(..., state_suffix)``."""
    return f"{ENVIRONMENT}:tap-ats-to-{loader}:{state_suffix}"


def meltano_state_clear(state_suffix: str, loader: str = "target-duckdb") -> None:
    """Drop a run's state id, so that demos and tests leave nothing in the state store."""
    subprocess.run([MELTANO, "state", "clear", "--force", state_id(state_suffix, loader)],
                   cwd=ROOT, env=meltano_env({}), capture_output=True, check=True)


def dbt(env: dict[str, str], *args: str,
        utility: str = "dbt-duckdb") -> subprocess.CompletedProcess[str]:
    """``meltano invoke <utility> <args>``: dbt on the package in transform/, output captured."""
    return subprocess.run([MELTANO, f"--environment={ENVIRONMENT}", "invoke", utility, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def table_counts(duckdb_path: Path, schema: str = "tap_ats",
                 provider: str | None = None) -> dict[str, int]:
    """Rows per table in the DuckDB file, of one provider's rows if given.

    Every table of the tap and of the models has the provider column.
    """
    import duckdb

    where = "where provider = ?" if provider else ""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "order by 1", [schema]).fetchall()]
        return {t: con.execute(f'select count(*) from {schema}."{t}" {where}',  # noqa: S608
                               [provider] if provider else []).fetchone()[0] for t in tables}


MODELS = ["ats__stage_visits", "ats__applications_enhanced", "ats__jobs_enhanced", "ats__funnel",
          "ats__interviews_enhanced", "ats__interviewer_load", "ats__offers_enhanced",
          "ats__offer_acceptance", "ats__time_to_hire", "ats__source_effectiveness",
          "ats__interviewer_calibration", "ats__pass_through"]

# A provider's funnel, all jobs together: stages by name in funnel order; the median from the
# fully observed visits (days_in_stage is null for the others), and how many there are. Moving
# on from the last stage is being hired.
FUNNEL_SQL = """
with stages as (
    select stage_name, min(stage_order) as stage_order, sum(applications_reached) as reached,
           sum(applications_moved_on) as moved_on, sum(applications_rejected) as rejected,
           sum(applications_withdrawn) as withdrawn
    from analytics.ats__funnel where provider = $provider group by stage_name
), days as (
    select stage_name, median(days_in_stage) as median_days, count(days_in_stage) as timed
    from analytics.ats__stage_visits where provider = $provider group by stage_name
)
select stages.stage_name, reached, moved_on, rejected, withdrawn,
       case when reached > 0 then moved_on / reached end, median_days, coalesce(timed, 0)
from stages left join days using (stage_name)
order by stage_order, stage_name
"""


def funnel_table(duckdb_path: Path, provider: str) -> str:
    """The provider's funnel from the models, as a table to read at a glance."""
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(FUNNEL_SQL, {"provider": provider}).fetchall()
    lines = [f"{'stage':<22}{'reached':>9}{'moved on':>10}{'rejected':>10}{'withdrew':>10}"
             f"{'conversion':>12}{'median days':>13}{'timed':>7}"]
    for stage, reached, moved, rejected, withdrew, rate, days, timed in rows:
        rate_text = "-" if rate is None else f"{rate:.0%}"
        days_text = "-" if days is None else f"{days:.1f}"
        lines.append(f"{stage or '?':<22}{reached:>9}{moved:>10}{rejected:>10}{withdrew:>10}"
                     f"{rate_text:>12}{days_text:>13}{timed:>7}")
    lines.append("(moving on from the last stage is a hire; median days over the fully observed "
                 "visits, timed)")
    return "\n".join(lines)


# Offers of all jobs together, each application once by its latest offer (as
# ats__offer_acceptance counts them); the median days from applying to the first offer out.
OFFERS_SQL = """
select count(*), count(case when latest_offer_status = 'accepted' then 1 end),
       count(case when latest_offer_status = 'declined' then 1 end),
       count(case when latest_offer_status = 'sent' then 1 end), median(days_to_offer)
from analytics.int_ats__application_hiring
where provider = $provider and latest_offer_status <> 'draft'
"""

# Sources by name, the accounts together (each Kombo integration has its own source ids).
SOURCES_SQL = """
select source_name, sum(applications) as applications, sum(applications_interviewed),
       sum(applications_offered), sum(hires), sum(hires) / sum(applications)
from analytics.ats__source_effectiveness where provider = $provider
group by source_name order by applications desc, source_name limit 8
"""


def offers_and_sources_table(duckdb_path: Path, provider: str) -> str:
    """Offer acceptance and the sources that bring the most applications, from the models."""
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        extended, accepted, declined, pending, days = con.execute(
            OFFERS_SQL, {"provider": provider}).fetchone()
        sources = con.execute(SOURCES_SQL, {"provider": provider}).fetchall()
    answered = accepted + declined
    rate = f"{accepted / answered:.0%}" if answered else "-"
    days_text = "-" if days is None else f"{days:.1f}"
    lines = [f"offers out {extended}, accepted {accepted}, declined {declined}, pending {pending}:"
             f" acceptance {rate}; median days from applying to the first offer {days_text}",
             "", f"{'source':<22}{'applications':>13}{'interviewed':>12}{'offered':>9}"
             f"{'hired':>7}{'hire rate':>11}"]
    for name, apps, interviewed, offered, hires, hire_rate in sources:
        rate_text = "-" if hire_rate is None else f"{hire_rate:.0%}"
        hired = "-" if hires is None else hires  # no hire signal: unknown, not 0
        lines.append(f"{name or '(none)':<22}{apps:>13}{interviewed:>12}{offered:>9}{hired:>7}"
                     f"{rate_text:>11}")
    return "\n".join(lines)


def load(url: str, provider: str, path: Path, changes: int,
         then: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """A provider's full run, the sandbox's changes, the incremental run (``then`` after it)."""
    config = fetch(f"{url}/_sandbox/config/{provider}")
    env, suffix = meltano_env(config, path), f"demo-{provider}-{os.getpid()}"
    print(f"\n$ meltano run tap-ats target-duckdb   # provider={provider}")
    try:
        result = meltano_run(env, state_suffix=suffix)
        if result.returncode == 0:
            fetch(f"{url}/_sandbox/advance", {"changes": changes, "provider": provider})
            print(f"  (the sandbox moves {changes} applications on)")
            command = " ".join(["meltano run tap-ats target-duckdb", *then])
            print(f"$ {command}   # provider={provider}")
            result = meltano_run(env, state_suffix=suffix, then=then)
    finally:
        meltano_state_clear(suffix)
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-3000:])
    return result


def show(url: str, provider: str, path: Path) -> None:
    """A provider's rows against the sandbox's truth, its funnel, offers and sources."""
    truth = fetch(f"{url}/_sandbox/truth/{provider}")
    print(f"\n{provider}:")
    print(f"{'table':<22}{'rows loaded':>12}{'sandbox truth':>15}")
    kept = False
    for table, n in table_counts(path, provider=provider).items():
        expected = truth.get(table, {}).get("count", "-")
        if not n and expected == "-":
            continue  # a table another provider loaded, which this one does not serve
        kept = kept or (isinstance(expected, int) and n > expected)
        print(f"{table:<22}{n:>12}{expected:>15}")
    if kept:
        print("(rows deleted upstream that this provider does not report as deleted stay loaded)")
    models = table_counts(path, "analytics", provider)
    print("models: " + ", ".join(f"{m} {models[m]}" for m in MODELS))
    print(f"\nFunnel, {provider} (all jobs):")
    print(funnel_table(path, provider))
    print(f"\nOffers and sources, {provider}:")
    print(offers_and_sources_table(path, provider))


def main(argv: list[str] | None = None) -> int:
    """Run the demo for the providers asked (default: every provider the sandbox serves)."""
    parser = argparse.ArgumentParser(prog="python -m tap_ats.sandbox.demo", description=__doc__)
    parser.add_argument("--provider", action="append", help="provider(s) to run")
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument("--changes", type=int, default=60,
                        help="applications the sandbox moves on between the two runs")
    args = parser.parse_args(argv)
    server = serve_in_thread(Sandbox(42, SCALES[args.scale]))
    print(f"Sandbox on {server.base_url}")
    path = ROOT / "output" / "demo.duckdb"
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    providers = args.provider or list(server.sandbox.apis)
    loaded = []
    for n, provider in enumerate(providers, 1):
        # The last run builds the models, over every provider loaded before it too.
        then = ("dbt-duckdb:build",) if n == len(providers) else ()
        if load(server.base_url, provider, path, args.changes, then).returncode == 0:
            loaded.append(provider)
    built = bool(loaded) and loaded[-1] == providers[-1]
    if not built and loaded:  # the building run failed: build what did load
        print("\n$ meltano invoke dbt-duckdb:build")
        result = dbt(meltano_env({}, path), "build")
        built = result.returncode == 0
        if not built:
            sys.stderr.write(result.stdout[-3000:])
    if built:
        for provider in loaded:
            show(server.base_url, provider, path)
        print(f"\nDuckDB file: {path}")
    server.shutdown()
    if not built:
        return 1
    report = subprocess.run([sys.executable, "-m", "report", "--duckdb", str(path),
                             "--output", str(ROOT / "output" / "report.html")], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    sys.stdout.write("\n" + report.stdout)
    sys.stderr.write(report.stderr)
    return report.returncode or int(len(loaded) < len(providers))


if __name__ == "__main__":
    sys.exit(main())
