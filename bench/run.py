"""How the benchmark runs a process and reads what it wrote: CPU and peak RSS from the process's
own accounting, records counted (and, where a run is checked, their keys kept)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
#: How a RECORD line starts, written compactly (the tap) or by ``json.dumps`` (the baseline).
RECORD = (b'{"type":"RECORD"', b'{"type": "RECORD"')


def call(url: str, data: dict | None = None) -> Any:
    """GET or POST JSON to the sandbox."""
    body = None if data is None else json.dumps(data).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=600) as r:
        return json.load(r)



def _high_water(pid: int, peak: list[int], done: threading.Event) -> None:
    """Poll the process's own peak RSS (VmHWM).

    rusage's ru_maxrss would also count the harness's pages the child had between fork and exec.
    """
    while not done.wait(0.05):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak[0] = max(peak[0], int(line.split()[1]))


class Output:
    """What a tap wrote, when the run must be checked and not only timed: the key of every
    record, by stream, and its last STATE message's value."""

    def __init__(self) -> None:
        self.keys: dict[str, set[tuple[str, str]]] = {}
        self.state: dict[str, Any] | None = None

    def read(self, line: bytes) -> bool:
        """Take one line; whether it was a RECORD."""
        if line.startswith((b'{"type":"STATE"', b'{"type": "STATE"')):
            self.state = json.loads(line)["value"]
            return False
        if not line.startswith(RECORD):
            return False
        message = json.loads(line)
        record = message["record"]
        self.keys.setdefault(message["stream"], set()).add((record["account_id"], record["id"]))
        return True


def measure(cmd: list[str], stdin: bytes | None = None,
            output: Output | None = None) -> dict[str, Any]:
    """Run ``cmd``; count RECORD lines on its stdout (read them into ``output`` if given, which
    costs the harness, never the measured process); return CPU, wall, peak RSS, records."""
    start = time.perf_counter()
    # Both tap and baseline write with Python's default buffering: PYTHONUNBUFFERED (set in
    # many containers) would cost the baseline a system call per write and flatter the ratio.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    peak, done = [0], threading.Event()
    threading.Thread(target=_high_water, args=(proc.pid, peak, done), daemon=True).start()
    if stdin:
        proc.stdin.write(stdin)
        proc.stdin.close()
    if output is None:
        records = sum(1 for line in proc.stdout if line.startswith(RECORD))
    else:
        records = sum(output.read(line) for line in proc.stdout)
    done.set()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"exit": proc.returncode, "records": records, "wall_s": time.perf_counter() - start,
            "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": peak[0] / 1024}



def baseline(url: str, provider: str, config: dict[str, Any], log: list[dict],
             paced: bool = False) -> dict[str, Any]:
    """The raw baseline replaying the tap's requests in ``log`` (at the tap's moments if
    ``paced``): its GETs, and Ashby's POST reads; Greenhouse's one POST is its token, which the
    baseline already has. A baseline that failed part-way would have done less work than the
    tap and flattered it, so that stops the bench."""
    job = {"base_url": url, "authorization": authorization(provider, config), "paced": paced,
           "requests": [e for e in log if e["method"] == "GET"
                        or (e["method"] == "POST" and provider == "ashby")]}
    raw = measure([str(BIN / "python"), "-m", "bench.raw"], json.dumps(job).encode())
    if raw["exit"]:
        msg = f"the raw baseline failed (exit {raw['exit']}): run bench/raw.py by hand to see why"
        raise SystemExit(msg)
    return raw


def authorization(provider: str, config: dict[str, Any]) -> str:
    """The Authorization header the raw baseline sends."""
    if provider == "greenhouse":
        basic = base64.b64encode(f"{config['client_id']}:{config['client_secret']}".encode())
        req = urllib.request.Request(
            config["token_url"], data=f"grant_type=client_credentials&sub={config['user_id']}"
            .encode(), headers={"Authorization": f"Basic {basic.decode()}",
                                "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return f"Bearer {json.load(r)['access_token']}"
    if provider == "ashby":  # the API key as basic user, empty password
        return "Basic " + base64.b64encode(f"{config['api_key']}:".encode()).decode()
    if provider == "lever":  # the API key as basic user, empty password
        return "Basic " + base64.b64encode(f"{config['api_key']}:".encode()).decode()
    return f"Bearer {config.get('api_key') or config.get('api_token')}"
