"""Progress lines of a long sync: one per stream and interval, with the ATZ history pass's ETA."""

from __future__ import annotations

import json
import re

import pytest
from conftest import run_tap


@pytest.mark.parametrize("provider", ["atzcrm", "kombo"])
def test_progress_lines_at_info(sandbox, tmp_path, provider):
    config = sandbox.config(provider, progress_interval=0, page_size=50)
    rc, _, err = run_tap(config, tmp_path)
    assert rc == 0, err[-2000:]
    lines = [x for x in err.splitlines() if "| INFO" in x and "Progress of" in x]
    pattern = re.compile(r"Progress of (\w+): (\d+) records, (\d+) requests in \d+ s "
                         r"\(\d+ records/s\)")
    found = [pattern.search(x) for x in lines]
    assert lines and all(found), lines[:3]
    first = next(m for m in found if m.group(1) == "candidates")
    assert int(first.group(3)) >= 1
    if provider == "atzcrm":
        eta = [x for x in lines if "history pass:" in x]
        assert eta and re.search(r"\d+ of \d+ candidates listed, \d+ left, ETA \d+:\d\d:\d\d",
                                 eta[0]), eta[:1]
        assert " 0 left" in eta[-1]


def test_no_progress_line_before_the_interval(sandbox, tmp_path):
    rc, _, err = run_tap(sandbox.config("kombo"), tmp_path)
    assert rc == 0 and "Progress of" not in err


def metric_points(err: str) -> list[dict]:
    return [json.loads(line.split("METRIC: ", 1)[1]) for line in err.splitlines()
            if "METRIC: " in line]


@pytest.mark.parametrize("provider", ["greenhouse", "kombo", "merge", "atzcrm", "ashby"])
def test_every_request_has_the_sdks_http_metrics(sandbox, tmp_path, provider):
    """One http_request_duration per request the API saw, and list pages in http_request_count."""
    rc, _, err = run_tap(sandbox.config(provider, page_size=20), tmp_path)
    assert rc == 0, err[-2000:]
    points = metric_points(err)
    durations = [p for p in points if p["metric"] == "http_request_duration"]
    served = [e for e in sandbox.log(provider)  # the Greenhouse token request is no stream's
              if e["status"] == 200 and not e["path"].endswith("/auth/token")]
    assert len(durations) == len(served)
    assert sorted(p["tags"]["endpoint"] for p in durations) == sorted(e["path"] for e in served)
    assert not [p for p in durations if "?" in p["tags"]["endpoint"]]
    counted = {(p["tags"]["stream"], p["value"]) for p in points
               if p["metric"] == "http_request_count"}
    assert any(stream == "applications" and n > 1 for stream, n in counted) or (
        provider == "atzcrm" and any(stream == "candidates" and n > 1 for stream, n in counted))
