"""The fill report: every column a provider's API carries is filled, the rest say why."""

from __future__ import annotations

import json
import subprocess
import sys


def test_fill_report_passes_and_explains_every_gap(tmp_path):
    out = tmp_path / "fill.md"
    proc = subprocess.run([sys.executable, "-m", "bench.fill", "--applications", "200",
                           "--out", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = json.loads(out.with_suffix(".json").read_text())
    cells = {(r["stream"], r["column"], p): e for r in rows for p, e in r["providers"].items()}
    for column in ("interviewer_ids", "title", "stage_id"):
        assert cells["interviews", column, "greenhouse"]["share"] >= 0.95
    assert cells["applications", "current_stage_name", "merge"]["share"] >= 0.95
    assert cells["application_stages", "stage_name", "merge"]["share"] >= 0.95
    assert cells["job_stages", "remote_id", "kombo"]["share"] >= 0.95
    assert cells["users", "email", "kombo"]["share"] >= 0.95
    empty = [k for k, e in cells.items() if e["share"] == 0 and not e.get("not_carried")
             and not e.get("some_rows")]
    assert not empty
    assert "| users | `name` |" in out.read_text()
