"""``python -m bench.atz``: ATZ CRM's incremental cost, daily runs simulated on the sandbox.

A first sync, then ``--days`` daily runs each after ``--changed`` (default 1%) of the
candidates' applications changed, then as many daily runs without change. A day passes between
runs by moving the slice's planned time (``history_slice_at``) back one day in the state; the
bookmark stays real, so the candidates the list shows as changed are exactly those changed since
the previous run. ``lookback_window`` is 0 because the simulated days are seconds apart.
Per run: list pages, history calls (bound: pages + changed + ceil(N / 7)), job reads. After
the runs with changes, and again after the quiet ones, the rows loaded (upserted by key) are
compared with the sandbox's truth. Writes ``bench/results/atz-incremental.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tap_ats.sandbox.demo import fetch
from tap_ats.sandbox.server import Sandbox, serve_in_thread

RESULTS = Path(__file__).resolve().parent / "results"
STREAMS = ["candidates", "candidate_history", "applications", "application_stages", "job_stages",
           "jobs"]


def run(config: Path, state: dict | None, workdir: Path) -> tuple[list[dict], dict]:
    """One tap run; its records and its last state."""
    cmd = [sys.executable, "-m", "tap_ats", "--config", str(config)]
    if state is not None:
        path = workdir / "state.json"
        path.write_text(json.dumps(state))
        cmd += ["--state", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(f"atz bench: the tap failed: {proc.stderr.strip().splitlines()[-1:]}")
    messages = [json.loads(line) for line in proc.stdout.splitlines()]
    records = [m for m in messages if m["type"] == "RECORD"]
    return records, [m["value"] for m in messages if m["type"] == "STATE"][-1]


def a_day_later(state: dict) -> dict:
    """The state as the next day's run finds it."""
    part = state["bookmarks"]["candidates"]["partitions"][0]
    at = dt.datetime.fromisoformat(part["history_slice_at"]) - dt.timedelta(days=1)
    part["history_slice_at"] = at.isoformat()
    return state


def missing(url: str, loaded: dict[str, set]) -> dict[str, int]:
    """Per stream, truth keys not loaded plus loaded keys not in the truth."""
    truth = fetch(f"{url}/_sandbox/truth/atzcrm")
    out = {}
    for stream in STREAMS:
        expected = {tuple(k) for k in truth[stream]["ids"]}
        out[stream] = len(expected ^ loaded[stream])
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the simulation and write its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.atz", description=__doc__)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01, help="share changed per day")
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args(argv)
    server = serve_in_thread(Sandbox(seed=42, applications=args.candidates))
    url = server.base_url
    loaded: dict[str, set] = {s: set() for s in STREAMS}
    report: dict[str, Any] = {"candidates": args.candidates, "changed_per_day": args.changed,
                              "full_refresh_days": 7, "runs": []}
    seen = 0

    def requests() -> dict[str, int]:
        nonlocal seen
        log = [e for e in fetch(f"{url}/_sandbox/requests")["log"] if e["provider"] == "atzcrm"]
        new, seen = log[seen:], len(log)
        return {"pages": sum(e["path"].endswith("/candidate") for e in new),
                "history": sum(e["path"].endswith("/history") for e in new),
                "jobs": sum("/job/" in e["path"] for e in new)}

    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            config = workdir / "config.json"
            config.write_text(json.dumps({**fetch(f"{url}/_sandbox/config/atzcrm"),
                                          "atzcrm_full_refresh_days": 7, "lookback_window": 0}))
            records, state = run(config, None, workdir)
            for r in records:
                loaded[r["stream"]].add((r["record"]["account_id"], r["record"]["id"]))
            report["first_sync"] = requests()
            for day in range(2 * args.days):
                changes = round(args.candidates * args.changed) if day < args.days else 0
                if changes:
                    fetch(f"{url}/_sandbox/advance", {"provider": "atzcrm", "changes": changes})
                total = fetch(f"{url}/_sandbox/truth/atzcrm")["candidates"]["count"]
                records, state = run(config, a_day_later(state), workdir)
                for r in records:
                    loaded[r["stream"]].add((r["record"]["account_id"], r["record"]["id"]))
                counts = requests()
                bound = math.ceil(total / 100) + changes + math.ceil(total / 7)
                read = counts["pages"] + counts["history"]
                report["runs"].append({"day": day + 1, "changes": changes, "candidates": total,
                                       **counts, "bound_pages_changed_slice": bound,
                                       "within_bound": read <= bound})
                if day + 1 == args.days:
                    report["differences_after_changing_days"] = missing(url, loaded)
            report["differences_after_quiet_days"] = missing(url, loaded)
    finally:
        server.shutdown()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "atz-incremental.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    if not all(r["within_bound"] for r in report["runs"]) or any(
            report["differences_after_quiet_days"].values()):
        sys.exit("atz bench: a run exceeded the bound or the warehouse differs from the truth")


if __name__ == "__main__":
    main()
