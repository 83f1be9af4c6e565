"""The scale rows: Kombo and Merge over many accounts, in one process and in shards.

Every run is also checked: the keys the shards wrote together must equal the sandbox's truth,
stream by stream, so a row is only as good as the data it loaded. ``--resume-at`` adds, at those
account counts, a run killed halfway (SIGKILL, then SIGTERM) and resumed from the last STATE it
wrote: what the two runs wrote together must still be the truth.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.run import BIN, Output, baseline, call, measure

#: Truth entries that are no stream a run without a catalog emits.
NOT_STREAMS = ("stage_visits", "hires", "demographics")


def differences(truth: dict[str, Any], keys: dict[str, set]) -> dict[str, list[int]]:
    """Per stream that differs: [truth keys not written, keys written not in the truth]."""
    out = {}
    for stream, entry in truth.items():
        if stream in NOT_STREAMS:
            continue
        expected = {tuple(k) for k in entry["ids"]}
        got = keys.get(stream, set())
        if got != expected:
            out[stream] = [len(expected - got), len(got - expected)]
    return out


def resumed_differences(truth: dict[str, Any], keys: dict[str, set]) -> dict[str, list[int]]:
    """As ``differences``, for a killed run and its resume: an application's sighting served to
    the killed process and not written is gone with it (a sighting is of the moment it is read),
    so of ``application_stages`` only the sightings of every application's current version must
    be there, and nothing outside the truth."""
    out = differences({k: v for k, v in truth.items() if k != "application_stages"}, keys)
    expected = {tuple(k) for k in truth["application_stages"]["ids"]}
    latest: dict[tuple[str, str], str] = {}
    for account, key in expected:
        app, _, seen = key.split(":", 2)
        if seen > latest.get((account, app), ":").split(":", 2)[-1]:
            latest[account, app] = key
    got = keys.get("application_stages", set())
    missing = {(a, k) for (a, _), k in latest.items()} - got
    if missing or got - expected:
        out["application_stages"] = [len(missing), len(got - expected)]
    return out


def run_shards(url: str, provider: str, config: dict[str, Any], shards: int,
               tmp: Path) -> dict[str, Any]:
    """``shards`` tap processes, one per ``account_shard``, at once; wall time to the last."""
    paths = []
    for k in range(1, shards + 1):
        paths.append(tmp / f"{provider}-shard-{k}-of-{shards}.json")
        paths[-1].write_text(json.dumps({**config, "account_shard": f"{k}/{shards}"}))
    outputs = [Output() for _ in paths]
    before = call(f"{url}/_sandbox/requests")["counts"].get(provider, 0)
    start = time.perf_counter()
    with ThreadPoolExecutor(shards) as pool:
        runs = list(pool.map(
            lambda job: measure([str(BIN / "tap-ats"), "--config", str(job[0])], output=job[1]),
            zip(paths, outputs, strict=True)))
    wall = time.perf_counter() - start
    records = sum(r["records"] for r in runs)
    keys: dict[str, set] = {}
    for output in outputs:
        for stream, written in output.keys.items():
            keys.setdefault(stream, set()).update(written)
    wrong = differences(call(f"{url}/_sandbox/truth/{provider}"), keys)
    return {"provider": provider, "shards": shards, "records": records,
            "requests": call(f"{url}/_sandbox/requests")["counts"].get(provider, 0) - before,
            "wall_s": round(wall, 2), "records_per_s": round(records / wall),
            "cpu_s": round(sum(r["cpu_s"] for r in runs), 2),
            "cpu_us_per_record": round(sum(r["cpu_s"] for r in runs) / max(records, 1) * 1e6),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
            "exit": max(r["exit"] for r in runs), "ids_equal_truth": not wrong,
            **({"ids_missing_extra": wrong} if wrong else {})}


def killed_and_resumed(url: str, provider: str, config: dict[str, Any], signum: int,
                       tmp: Path) -> dict[str, Any]:
    """Kill a one-process run with ``signum`` halfway through the truth's records, resume it
    from the last STATE it wrote, and compare what both runs wrote with the truth."""
    truth = call(f"{url}/_sandbox/truth/{provider}")
    half = sum(len(v["ids"]) for k, v in truth.items() if k not in NOT_STREAMS) // 2
    path = tmp / f"{provider}-resume.json"
    path.write_text(json.dumps(config))
    output, written = Output(), 0
    proc = subprocess.Popen([str(BIN / "tap-ats"), "--config", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for line in proc.stdout:
        written += output.read(line)
        if written == half:
            proc.send_signal(signum)
    killed_exit = proc.wait()
    state = tmp / f"{provider}-resume-state.json"
    state.write_text(json.dumps(output.state or {}))
    resumed = measure([str(BIN / "tap-ats"), "--config", str(path), "--state", str(state)],
                      output=output)
    wrong = resumed_differences(truth, output.keys)
    return {"provider": provider, "resume": signal.Signals(signum).name,
            "records_before_kill": written, "killed_exit": killed_exit,
            "resumed_records": resumed["records"], "resumed_exit": resumed["exit"],
            "ids_equal_truth": not wrong, **({"ids_missing_extra": wrong} if wrong else {})}


def raw_replay(url: str, provider: str, config: dict[str, Any], row: dict) -> dict[str, Any]:
    """The raw client replaying a one-process run's requests (no latency): its CPU and ratio.

    Many accounts mean many more requests per record, which any client pays; the ratio says
    whether the tap's own cost per account grows beyond that.
    """
    call(f"{url}/_sandbox/faults", {})
    log = [e for e in call(f"{url}/_sandbox/requests")["log"] if e["provider"] == provider]
    raw = baseline(url, provider, config, log[-row["requests"]:])
    return {"raw_cpu_s": round(raw["cpu_s"], 2),
            "cpu_ratio_vs_raw": round(row["cpu_s"] / raw["cpu_s"], 2)}


def bench_scale(url: str, args: argparse.Namespace, tmp: Path) -> list[dict]:
    """The scale rows: each provider and account count, over 1, 2 and 4 shards (the first: 1),
    and the kill-and-resume rows at the counts in ``--resume-at``."""
    rows = []
    for accounts in args.accounts:
        call(f"{url}/_sandbox/reset", {"accounts": accounts})
        latency = {"latency_ms": args.latency_ms or 50}
        call(f"{url}/_sandbox/faults", latency)
        for provider in args.providers:
            config = call(f"{url}/_sandbox/config/{provider}")
            one = None
            for shards in [s for s in args.shards if s <= accounts]:
                row = run_shards(url, provider, config, shards, tmp)
                if shards == 1:
                    row.update(raw_replay(url, provider, config, row))
                    call(f"{url}/_sandbox/faults", latency)
                one = one or row
                speedup = one["wall_s"] / row["wall_s"]
                row.update(accounts=accounts, speedup=round(speedup, 2),
                           efficiency=round(speedup / shards, 2))
                rows.append(row)
                print(json.dumps(row), flush=True)
            if accounts in args.resume_at:
                for signum in (signal.SIGKILL, signal.SIGTERM):
                    row = killed_and_resumed(url, provider, config, signum, tmp)
                    rows.append({**row, "accounts": accounts})
                    print(json.dumps(rows[-1]), flush=True)
    return rows
