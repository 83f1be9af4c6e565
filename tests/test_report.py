"""The HTML report (``python -m report``): what it shows, how, and that a browser renders it.

Its numbers against the marts, on both engines, and the page in headless Chromium over the same
warehouse, are in tests/test_models.py (they reuse that module's build); here the page itself,
without a warehouse, and the helpers both use.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from report.data import Interviewer, Provider, Source, Stage
from report.html import NO_SIGNAL, render
from tap_ats.sandbox.demo import ROOT

#: Chromium as Debian packages it (``apt-get install chromium``; .ci/run installs it).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Metrics(HTMLParser):
    """The page's numbers: (provider, metric, key) -> (data-value, text shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[tuple[str, str, str], tuple[str, str]] = {}
        self.sections: list[str] = []
        self._open: tuple[str, str, str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section" and "data-provider" in a:
            self.sections.append(a["data-provider"])
        if "data-metric" in a:
            self._open = (a["data-provider"], a["data-metric"], a["data-key"], a["data-value"])

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            provider, name, key, value = self._open
            self.found[provider, name, key] = (value, data)
            self._open = None


def metrics(page: str) -> Metrics:
    parser = Metrics()
    parser.feed(page)
    return parser


def in_chromium(page: Path, screenshot: Path) -> tuple[str, str]:
    """The DOM headless Chromium builds from ``page``, and what it logged (console included)."""
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
              f"--user-data-dir={screenshot.parent / 'chromium-profile'}"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120, check=True)
    shot = subprocess.run([*common, "--window-size=1280,2400", f"--screenshot={screenshot}",
                           page.as_uri()], capture_output=True, text=True, timeout=120,
                          check=True)
    return dom.stdout, dom.stderr + shot.stderr


def console_errors(log: str) -> list[str]:
    """Lines of Chromium's log that report a page error: a console message or a blocked load."""
    return [line for line in log.splitlines()
            if "CONSOLE" in line or "Refused to" in line or "net::ERR" in line]


def provider(name: str, signal: str | None, hires: int | None) -> Provider:
    return Provider(
        name, applications=40, hire_signal=signal, hires=hires,
        stages=[Stage("Screen", 40, 20, 5, 1, 3.25, 12), Stage("Offer", 20, hires or 0, 2, 0)],
        offered=20, median_days_to_offer=12.5, median_days_to_hire=20.0 if hires else None,
        offers_extended=20 if signal else 0, offers_accepted=hires or 0, offers_declined=3,
        sources=[Source("Referral", 25, 10, 12, hires), Source("Agency", 15, 4, 8,
                                                                 0 if signal else None)],
        interviewers=[Interviewer("Ada Lee", 7, 8.5, 2)])


def test_page_is_self_contained_and_marks_every_number():
    page = render([provider("kombo", "application_status", 6)])
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "default-src 'none'" in page  # a browser refuses (and logs) any fetch
    found = metrics(page).found
    assert found["kombo", "hires", "all"] == ("6", "6")
    assert found["kombo", "funnel_conversion", "Screen"] == ("0.5", "50%")
    assert found["kombo", "funnel_conversion", "Offer"] == ("0.3", "30%")
    assert found["kombo", "stage_median_days", "Screen"] == ("3.25", "3.2")
    assert found["kombo", "stage_visits_timed", "Screen"] == ("12", "12")
    assert found["kombo", "stage_median_days", "Offer"] == ("", "-")  # no timed visit
    assert found["kombo", "source_hire_rate", "Referral"] == ("0.24", "24%")
    assert found["kombo", "acceptance_rate", "all"] == ("0.6666666666666666", "67%")
    assert found["kombo", "load_hours", "Ada Lee"] == ("8.5", "8.5")


def test_a_provider_without_a_hire_signal_shows_none_rather_than_zero():
    page = render([provider("atzcrm", None, None), provider("greenhouse", "application_status",
                                                             2)])
    m = metrics(page)
    assert m.sections == ["atzcrm", "greenhouse"]
    for name, key in (("hires", "all"), ("funnel_conversion", "Offer"),
                      ("source_hire_rate", "Referral"), ("source_hire_rate", "Agency"),
                      ("time_to_hire_hires", "all")):
        assert m.found["atzcrm", name, key] == ("", NO_SIGNAL), name
    assert m.found["greenhouse", "source_hire_rate", "Agency"] == ("0.0", "0%")


def test_cli_refuses_a_missing_file(tmp_path):
    result = subprocess.run([sys.executable, "-m", "report", "--duckdb", str(tmp_path / "no"),
                             "--output", str(tmp_path / "r.html")], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "no such DuckDB file" in result.stderr
    assert not (tmp_path / "r.html").exists()
