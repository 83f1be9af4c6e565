"""``make bench``: measure tap-ats against the sandbox and write ``bench/results/latest.json``.

For each provider, a full sync of the tap to a pipe (records counted, output discarded) as
configured by default, then sequentially (``max_concurrency`` 1) with ``include_raw`` on and off,
and the raw baseline (bench/raw.py) replaying the same requests.
Measured per run from the process's own rusage: CPU seconds and peak RSS. Requests are counted
by the sandbox and compared with the least possible for the data (a full page every time).
``--repeat N`` runs the CPU comparison N rounds, the runs taking turns, and reports medians.

Modes: the default speed run (latency 0, no rate limits); ``--latency-ms 50`` for the
concurrency comparison (``max_concurrency`` 1 against the default); ``--rate-limits`` for the
rate-limit run (each provider's documented limit, windows shrunk by ``--time-scale``), with
the paced column: a sequential run's CPU against the raw baseline replaying it at the same pace;
``--scale`` for the scale rows (bench/scale.py): Kombo and Merge over each of ``--accounts``
account counts (the same applications spread over them), read by 1, 2 and 4 ``account_shard``
processes at once (``--shards``, up to the account count), each request ``--latency-ms`` late
(default 50), with records per second, efficiency (speed-up over one process, per shard), the
peak RSS of the largest shard process (memory must not grow with the number of accounts) and
whether the keys written equal the truth; ``--resume-at`` adds killed-and-resumed runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.run import BIN, authorization, baseline, call, measure
from bench.scale import bench_scale

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PAGE = {"greenhouse": 500, "kombo": 250, "merge": 100, "atzcrm": 100, "ashby": 100, "lever": 100}
#: The limits the sandbox enforces with --rate-limits: (requests, window seconds) per account.
LIMITS = {"greenhouse": (50, 30), "merge": (100, 60), "atzcrm": (60, 60)}
ENDPOINTS = {  # streams read from an endpoint of their own (derived ones, costing none, omitted)
    "greenhouse": ["applications", "application_stages", "jobs", "job_stages", "interviews",
                   "candidates", "users", "offers", "departments", "offices",
                   "rejection_reasons", "sources", "job_hiring_team", "scorecards",
                   "custom_field_definitions"],
    "kombo": ["applications", "jobs", "interviews", "candidates", "users", "offers",
              "rejection_reasons", "scorecards"],
    "merge": ["applications", "jobs", "job_stages", "interviews", "candidates", "users",
              "offers", "departments", "offices", "rejection_reasons", "scorecards"],
    "atzcrm": ["candidates", "interviews"],
    "lever": ["applications", "jobs", "job_stages", "users", "rejection_reasons", "sources"],
    "ashby": ["applications", "jobs", "interviews", "candidates", "users", "offers",
              "departments", "offices", "sources", "rejection_reasons", "custom_field_definitions",
              "scorecards"],
}
#: Streams whose endpoint pages hold fewer records than the provider's page size.
PAGE_OF = {("atzcrm", "interviews"): 25}
#: Streams whose list is also a lookup, read once whole at the provider's maximum page.
SERVED = {"greenhouse": {"job_stages", "rejection_reasons", "sources"}}
#: Lists that only fill columns, each needed whole once per run (Greenhouse: no filter narrows
#: them to what a full sync needs): panels (``interviewer_ids``, ``scorecards.interview_id``),
#: job interviews (title, stage), attribute ratings and their names, custom field options, and
#: the rejection details (a first sync's window holds them all).
LOOKUPS = {"greenhouse": ["/v3/interviewers", "/v3/job_interviews",
                          "/v3/scorecard_candidate_attributes", "/v3/job_candidate_attributes",
                          "/v3/custom_field_options", "/v3/rejection_details"]}
#: Streams read from several lists in turn: each list's pages count on their own.
LISTS_OF = {("greenhouse", "job_hiring_team"): ["/v3/job_hiring_managers", "/v3/job_owners"]}


def start_sandbox(args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    """The sandbox in its own process, so its CPU is never counted as the tap's."""
    cmd = [str(BIN / "python"), "-m", "tap_ats.sandbox", "--port", "0",
           "--applications", str(args.applications)]
    if args.rate_limits:
        cmd += ["--rate-limits", "--time-scale", str(args.time_scale)]
    if args.scale:
        cmd += ["--accounts", str(args.accounts[0])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
    return proc, url


def listed(provider: str, config: dict[str, Any], path: str) -> int:
    """The rows of one lookup list, read whole at the maximum page (its ``Link`` pages followed).

    Counted from the API, as the sandbox's truth lists streams only; a 429 (``--rate-limits``)
    waits its ``Retry-After``.
    """
    rows, url = 0, f"{config['api_url']}{path}?per_page={PAGE[provider]}"
    headers = {"Authorization": authorization(provider, config)}
    while url:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                        timeout=600) as r:
                rows += len(json.load(r))
                link = r.headers.get("Link") or ""
        except urllib.error.HTTPError as exc:
            if exc.code != 429:
                raise
            time.sleep(float(exc.headers.get("Retry-After") or 1))
            continue
        url = link[1:link.index(">")] if 'rel="next"' in link else ""
    return rows


def min_requests(provider: str, truth: dict[str, Any], config: dict[str, Any],
                 rows: dict[str, int]) -> int:
    """The fewest requests for this data: full pages of the configured size, and the extras.

    ``rows``: the rows of each list read whole only to fill columns (:data:`LOOKUPS`), each at
    the maximum page, and of each list of a stream read from several (:data:`LISTS_OF`). A
    stream whose list is also a lookup (:data:`SERVED`) is one read at the maximum page,
    whatever the configured size.
    """
    n = sum(math.ceil(rows[path] / PAGE[provider]) for path in LOOKUPS.get(provider, []))
    for stream in ENDPOINTS[provider]:
        page = min(config.get("page_size") or PAGE[provider],
                   PAGE_OF.get((provider, stream), PAGE[provider]))
        if stream in SERVED.get(provider, ()):
            page = PAGE[provider]
        if (provider, stream) in LISTS_OF:
            n += sum(math.ceil(rows[path] / page) for path in LISTS_OF[provider, stream])
            continue
        per_account: dict[str, int] = {}
        for account, _ in truth[stream]["ids"]:
            per_account[account] = per_account.get(account, 0) + 1
        n += sum(math.ceil(c / page) for c in per_account.values())
    if provider == "greenhouse":
        n += 1  # the OAuth token
    if provider == "merge":
        n += len(config["account_tokens"])  # account-details, to learn each account's id
    if provider == "atzcrm":
        n += truth["candidates"]["count"] + truth["jobs"]["count"]  # history per candidate, jobs
    if provider == "ashby":
        # interviewStage.list of each job's plan; application.listHistory of each application.
        live = truth["applications"]["count"] - len(truth["applications"]["deleted_ids"])
        n += truth["jobs"]["count"] + live
    if provider == "lever":
        # The deleted-opportunity list; offers, interviews and feedback of each opportunity.
        live = truth["applications"]["count"] - len(truth["applications"]["deleted_ids"])
        n += 1 + 3 * live
    return n


def limit_use(provider: str, log: list[dict], time_scale: float) -> float | None:
    """Requests per second each account reached, as a share of its limit (mean over accounts)."""
    if provider not in LIMITS:
        return None
    limit, window = LIMITS[provider]
    per_account: dict[str, list[float]] = {}
    for entry in log:
        if entry["method"] == "GET" and "account-details" not in entry["path"]:
            key = json.dumps(entry["route"], sort_keys=True)
            per_account.setdefault(key, []).append(entry["t"])
    shares = [(len(ts) - 1) / (max(ts) - min(ts)) / (limit / (window * time_scale))
              for ts in per_account.values() if len(ts) > 1]
    return round(sum(shares) / len(shares), 3)


def run_tap(url: str, provider: str, config: dict[str, Any], tmp: Path) -> tuple[dict, list]:
    """One full sync; also return the sandbox's log of the requests it made."""
    path = tmp / f"{provider}-{len(list(tmp.iterdir()))}.json"
    path.write_text(json.dumps(config))
    before = call(f"{url}/_sandbox/requests")["counts"].get(provider, 0)
    result = measure([str(BIN / "tap-ats"), "--config", str(path)])
    after = call(f"{url}/_sandbox/requests")
    result["requests"] = after["counts"].get(provider, 0) - before
    log = [e for e in after["log"] if e["provider"] == provider][-result["requests"]:]
    return result, log


def bench_provider(url: str, provider: str, args: argparse.Namespace, tmp: Path) -> dict:
    """Every measurement of one provider."""
    config = call(f"{url}/_sandbox/config/{provider}")
    if args.page_size:
        config["page_size"] = args.page_size
    if args.latency_ms:
        call(f"{url}/_sandbox/faults", {"latency_ms": args.latency_ms})
    on, log = run_tap(url, provider, {**config, "include_raw": True}, tmp)
    row: dict[str, Any] = {"provider": provider, "records": on["records"],
                           "requests": on["requests"], "wall_s": round(on["wall_s"], 2),
                           "records_per_s": round(on["records"] / on["wall_s"]),
                           "peak_rss_mb": round(on["peak_rss_mb"], 1), "exit": on["exit"]}
    truth = call(f"{url}/_sandbox/truth/{provider}")
    lists = LOOKUPS.get(provider, []) + [path for (name, _), paths in LISTS_OF.items()
                                         if name == provider for path in paths]
    rows = {path: listed(provider, config, path) for path in lists}
    row["min_requests"] = min_requests(provider, truth, config, rows)
    if args.latency_ms:
        seq, _ = run_tap(url, provider, {**config, "max_concurrency": 1}, tmp)
        row["sequential_wall_s"] = round(seq["wall_s"], 2)
        row["speedup"] = round(seq["wall_s"] / on["wall_s"], 2)
        call(f"{url}/_sandbox/faults", {})
        return row
    if args.rate_limits:
        row["429s"] = sum(1 for e in log if e["status"] == 429)
        row["limit_use"] = limit_use(provider, log, args.time_scale)
        row.update(paced(url, provider, config, tmp))
        return row
    if args.tap_only:
        row["cpu_s"] = round(on["cpu_s"], 2)
        return row
    # CPU per record is compared sequentially, as the baseline runs. At latency 0 the default
    # concurrency buys no time, and its threads' contention for the GIL (and, on a small
    # machine, for the core the sandbox does not use) costs CPU: reported beside, not hidden.
    # With --repeat, the four runs take turns round after round, so a slow spell of the machine
    # falls on all of them, and each ratio is the median of its rounds' ratios.
    seq = {**config, "max_concurrency": 1}
    rounds: dict[str, list[float]] = {"on": [], "on_seq": [], "off_seq": [], "raw": []}
    for n in range(args.repeat):
        if n:
            on, _ = run_tap(url, provider, {**config, "include_raw": True}, tmp)
        on_seq, _ = run_tap(url, provider, {**seq, "include_raw": True}, tmp)
        off_seq, _ = run_tap(url, provider, {**seq, "include_raw": False}, tmp)
        raw = baseline(url, provider, config, log)
        for key, run in (("on", on), ("on_seq", on_seq), ("off_seq", off_seq), ("raw", raw)):
            rounds[key].append(run["cpu_s"])

    def median(key: str, over: str | None = None) -> float:
        """The median of ``key``'s CPU seconds, or of its rounds' ratios to ``over``'s."""
        pairs = zip(rounds[key], rounds[over] if over else [1.0] * args.repeat, strict=True)
        return round(statistics.median(cpu / by for cpu, by in pairs), 2)

    row.update({
        "cpu_s": median("on_seq"), "cpu_s_raw_off": median("off_seq"),
        "raw_cpu_s": median("raw"),
        "cpu_s_per_100k": round(median("on_seq") / on_seq["records"] * 1e5, 2),
        "cpu_ratio_vs_raw": median("on_seq", "raw"),
        "cpu_ratio_vs_raw_no_raw_column": median("off_seq", "raw"),
        "cpu_ratio_vs_raw_concurrent": median("on", "raw"),
    })
    if args.repeat > 1:
        row["cpu_rounds"] = rounds
    return row


def paced(url: str, provider: str, config: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The paced column: CPU of a sequential run at the limit against a raw client paced alike.

    The raw baseline replays the tap's requests at the same moments after its start as the tap
    sent them (it sleeps the same gaps), so both wait as long; what differs is what waiting
    and reading cost each of them. Compared overall and per record (the tap also emits the
    derived streams' rows, which the raw client does not).
    """
    tap, log = run_tap(url, provider, {**config, "max_concurrency": 1}, tmp)
    raw = baseline(url, provider, config, log, paced=True)
    return {"paced_wall_s": round(tap["wall_s"], 2), "paced_cpu_s": round(tap["cpu_s"], 2),
            "paced_raw_cpu_s": round(raw["cpu_s"], 2),
            "paced_cpu_ratio_vs_raw": round(tap["cpu_s"] / raw["cpu_s"], 2),
            "paced_cpu_per_record_ratio_vs_raw": round(
                tap["cpu_s"] / tap["records"] / (raw["cpu_s"] / raw["records"]), 2)}


def main() -> None:
    """Run the benchmark and print and save its table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--providers", nargs="*", default=list(PAGE))
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--rate-limits", action="store_true")
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--page-size", type=int, help="smaller pages: more requests per record")
    parser.add_argument("--tap-only", action="store_true",
                        help="one tap run per provider (no raw baseline): the memory run")
    parser.add_argument("--scale", action="store_true",
                        help="the scale row: Kombo and Merge, many accounts, 1/2/4 shards")
    parser.add_argument("--accounts", type=int, nargs="*", default=[200],
                        help="account counts for --scale, each a row per shard count")
    parser.add_argument("--shards", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--resume-at", type=int, nargs="*", default=[],
                        help="account counts at which --scale also kills a run and resumes it")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of the CPU runs, taken in turns; the table has medians")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.scale:
        args.providers = [p for p in args.providers if p in ("kombo", "merge")]
        args.latency_ms = args.latency_ms or 50
    args.out = args.out or RESULTS / ("scale.json" if args.scale else "latest.json")
    sandbox, url = start_sandbox(args)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.scale:
                rows = bench_scale(url, args, Path(tmp))
            for provider in [] if args.scale else args.providers:
                rows.append(bench_provider(url, provider, args, Path(tmp)))
                print(json.dumps(rows[-1]), flush=True)
    finally:
        sandbox.terminate()
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"{platform.python_implementation()} {platform.python_version()}",
              "applications": args.applications, "latency_ms": args.latency_ms,
              "rate_limits": args.rate_limits, "time_scale": args.time_scale,
              "page_size": args.page_size, "repeat": args.repeat, "providers": rows}
    if args.scale:
        report["accounts"] = args.accounts
        report["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    keys = [k for k in rows[0] if k not in ("provider", "cpu_rounds")] if rows else []
    print("\n" + " | ".join(["provider", *keys]))
    for row in rows:
        print(" | ".join(str(row.get(k, "")) for k in ["provider", *keys]))


if __name__ == "__main__":
    main()
