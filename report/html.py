"""The report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched.

Every number on the page is an element with ``data-metric``, ``data-provider``, ``data-key`` and
``data-value`` (the exact figure; empty when there is none), so that a test can read the page
back and compare it with the marts. A Content-Security-Policy forbids every fetch, so that a
browser reports anything the page would load as a console error.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from report.data import Provider, Source

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0; color: #1d2330; background: #f5f6f8; }
header { background: #1d2330; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 22px; } header p { margin: 4px 0 0; color: #c3c8d4; }
.nav a { color: #9cc3ff; margin-right: 14px; }
section.provider { background: #fff; margin: 24px 32px; padding: 8px 24px 20px;
                   border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h2 { font-size: 20px; border-bottom: 2px solid #e3e6ec; padding-bottom: 6px; }
h3 { font-size: 15px; margin: 22px 0 6px; color: #3a4356; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #f0f3f8; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.card .label { font-size: 12px; color: #5b6577; } .card .num { font-size: 20px; font-weight: 600; }
table { border-collapse: collapse; margin-top: 4px; }
th, td { padding: 3px 10px; text-align: right; white-space: nowrap; }
th { font-size: 12px; color: #5b6577; font-weight: 600; border-bottom: 1px solid #dde1e8; }
td:first-child, th:first-child { text-align: left; }
td.bar { width: 320px; padding: 0 8px; } svg { display: block; }
.none { color: #8a93a5; font-style: italic; }
.note { color: #5b6577; font-size: 12px; margin: 4px 0; }
.legend span { display: inline-block; margin-right: 14px; }
.sw { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
"""
COLORS = {"main": "#3b6fd8", "second": "#29a37a", "third": "#e0a030", "fourth": "#c8504a"}
NO_SIGNAL = "no hire signal"


def fmt(value: float | None, kind: str = "count") -> str:
    """A figure as the page shows it: counts whole, days to a tenth, rates in percent."""
    if value is None:
        return "-"
    if kind == "rate":
        return f"{value:.0%}"
    if kind == "days":
        return f"{value:.1f}"
    if kind == "hours":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def metric(provider: str, name: str, key: str, value: float | None, kind: str = "count",
           text: str | None = None) -> str:
    """One number of the page, machine-readable through its data attributes."""
    raw = "" if value is None else repr(value)
    shown = text if text is not None else fmt(value, kind)
    cls = "num none" if value is None else "num"
    return (f'<span class="{cls}" data-metric="{escape(name)}" data-provider="{escape(provider)}"'
            f' data-key="{escape(key)}" data-value="{raw}">{escape(shown)}</span>')


def bars(values: list[tuple[float, str]], top: float, width: int = 300, height: int = 14) -> str:
    """Stacked horizontal bars of one row, scaled to ``top``, as inline SVG."""
    out, x = [], 0.0
    for value, color in values:
        if value < 0:
            msg = f"a bar cannot be negative: {value}"
            raise ValueError(msg)
        w = 0 if not top else width * value / top
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" rx="2" '
                   f'fill="{color}"/>')
        x += w
    return (f'<svg width="{width}" height="{height}" role="img" '
            f'aria-hidden="true">{"".join(out)}</svg>')


def legend(*items: tuple[str, str]) -> str:
    """Colour keys for a chart."""
    return '<p class="legend">' + "".join(
        f'<span><i class="sw" style="background:{c}"></i>{escape(t)}</span>'
        for t, c in items) + "</p>"


def card(label: str, body: str) -> str:
    """A headline figure with its label."""
    return f'<div class="card"><div class="label">{escape(label)}</div>{body}</div>'


def summary(p: Provider) -> str:
    """The headline figures."""
    hires = (metric(p.name, "hires", "all", p.hires) if p.hire_signal
             else metric(p.name, "hires", "all", None, text=NO_SIGNAL))
    return '<div class="cards">' + "".join([
        card("applications", metric(p.name, "applications", "all", p.applications)),
        card("hires", hires),
        card("median days to hire",
             metric(p.name, "median_days_to_hire", "all", p.median_days_to_hire, "days")),
        card("offer acceptance",
             metric(p.name, "acceptance_rate", "all", p.acceptance_rate, "rate")),
    ]) + "</div>"


def funnel(p: Provider) -> str:
    """Bars per stage (reached, the part that moved on), conversion and time in stage."""
    top = max((s.reached for s in p.stages), default=0)
    rows = []
    for i, s in enumerate(p.stages):
        last = i == len(p.stages) - 1
        moved = s.moved_on if not last or p.hire_signal else 0
        conversion = (metric(p.name, "funnel_conversion", s.name, s.conversion, "rate")
                      if not last or p.hire_signal
                      else metric(p.name, "funnel_conversion", s.name, None, text=NO_SIGNAL))
        chart = bars([(moved, COLORS["main"]), (s.reached - moved, "#b9c9ee")], top)
        rows.append(
            f'<tr><td>{escape(s.name)}</td><td class="bar">{chart}'
            f"</td><td>{metric(p.name, 'funnel_reached', s.name, s.reached)}</td>"
            f"<td>{metric(p.name, 'funnel_moved_on', s.name, s.moved_on)}</td>"
            f"<td>{conversion}</td>"
            f"<td>{metric(p.name, 'funnel_rejected', s.name, s.rejected)}</td>"
            f"<td>{metric(p.name, 'funnel_withdrawn', s.name, s.withdrawn)}</td>"
            f"<td>{metric(p.name, 'stage_median_days', s.name, s.median_days, 'days')}</td>"
            f"<td>{metric(p.name, 'stage_visits_timed', s.name, s.visits_timed)}</td></tr>")
    return ("<h3>Funnel (all jobs)</h3>"
            + legend(("moved on", COLORS["main"]), ("stopped here or still in it", "#b9c9ee"))
            + "<table><tr><th>stage</th><th></th><th>reached</th><th>moved on</th>"
            "<th>conversion</th><th>rejected</th><th>withdrew</th><th>median days</th>"
            "<th>visits timed</th></tr>" + "".join(rows) + "</table>"
            '<p class="note">Moving on from the last stage is a hire. Median days in a stage '
            "rest on fully observed visits only (entry and exit known); visits timed says how "
            "many.</p>")


def time_to_hire(p: Provider) -> str:
    """Median days from applying to the first offer and to the hire."""
    items = [("to first offer", "median_days_to_offer", p.median_days_to_offer, COLORS["third"]),
             ("to hire", "median_days_to_hire", p.median_days_to_hire, COLORS["second"])]
    top = max((v or 0 for _, _, v, _ in items), default=0)
    rows = "".join(
        f"<tr><td>{label}</td><td class='bar'>{bars([(v or 0, c)], top)}</td>"
        f"<td>{metric(p.name, name, 'all', v, 'days')}</td></tr>" for label, name, v, c in items)
    hires = (metric(p.name, "time_to_hire_hires", "all", p.hires) if p.hire_signal
             else metric(p.name, "time_to_hire_hires", "all", None, text=NO_SIGNAL))
    return ("<h3>Time to hire (median days from applying)</h3><table>" + rows + "</table>"
            f'<p class="note">hires {hires}, of them dated by an accepted offer '
            f"{metric(p.name, 'hires_dated_by_offer', 'all', p.hires_dated_by_offer)}; "
            f"applications offered {metric(p.name, 'applications_offered', 'all', p.offered)}"
            "</p>")


def offers(p: Provider) -> str:
    """Offers out, split by their answer."""
    parts = [("accepted", p.offers_accepted, COLORS["second"]),
             ("declined", p.offers_declined, COLORS["fourth"]),
             ("pending", p.offers_pending, "#c9ced8")]
    chart = bars([(n, c) for _, n, c in parts], p.offers_extended, width=480, height=18)
    numbers = " · ".join(f"{label} {metric(p.name, 'offers_' + label, 'all', n)}"
                         for label, n, _ in parts)
    return ("<h3>Offer acceptance</h3>" + legend(*((label, c) for label, _, c in parts)) + chart
            + f"<p>offers out {metric(p.name, 'offers_extended', 'all', p.offers_extended)}: "
            f"{numbers}; acceptance "
            f"{metric(p.name, 'acceptance_rate_offers', 'all', p.acceptance_rate, 'rate')} "
            "(accepted of answered)</p>")


def source_row(p: Provider, s: Source, top: int) -> str:
    """One source: bars of hired, offered and the rest, and the figures."""
    hires = s.hires or 0
    offered = max(s.offered, hires)  # a hire without an offer (Kombo's outcome) was not offered
    rate = (metric(p.name, "source_hire_rate", s.name, s.hire_rate, "rate") if p.hire_signal
            else metric(p.name, "source_hire_rate", s.name, None, text=NO_SIGNAL))
    chart = bars([(hires, COLORS["second"]), (offered - hires, COLORS["third"]),
                  (s.applications - offered, "#b9c9ee")], top)
    return (f"<tr><td>{escape(s.name)}</td><td class='bar'>{chart}</td>"
            f"<td>{metric(p.name, 'source_applications', s.name, s.applications)}</td>"
            f"<td>{metric(p.name, 'source_interviewed', s.name, s.interviewed)}</td>"
            f"<td>{metric(p.name, 'source_offered', s.name, s.offered)}</td>"
            f"<td>{metric(p.name, 'source_hires', s.name, s.hires)}</td><td>{rate}</td></tr>")


def sources(p: Provider) -> str:
    """Applications per source, how many were offered and hired."""
    top = max((s.applications for s in p.sources), default=0)
    return ("<h3>Source effectiveness</h3>"
            + legend(("hired", COLORS["second"]), ("offered", COLORS["third"]),
                     ("applied", "#b9c9ee"))
            + "<table><tr><th>source</th><th></th><th>applications</th><th>interviewed</th>"
            "<th>offered</th><th>hired</th><th>hire rate</th></tr>"
            + "".join(source_row(p, s, top) for s in p.sources) + "</table>")


def load(p: Provider, limit: int = 10) -> str:
    """The interviewers who sat the most interviews."""
    if not p.interviewers:
        return '<h3>Interviewer load</h3><p class="none">no interviews loaded</p>'
    top = max(i.completed + i.upcoming for i in p.interviewers)
    rows = "".join(
        f"<tr><td>{escape(i.name)}</td><td class='bar'>"
        f"{bars([(i.completed, COLORS['main']), (i.upcoming, COLORS['third'])], top)}</td>"
        f"<td>{metric(p.name, 'load_completed', i.name, i.completed)}</td>"
        f"<td>{metric(p.name, 'load_hours', i.name, i.hours, 'hours')}</td>"
        f"<td>{metric(p.name, 'load_upcoming', i.name, i.upcoming)}</td></tr>"
        for i in p.interviewers[:limit])
    return ("<h3>Interviewer load (the ten busiest)</h3>"
            + legend(("sat", COLORS["main"]), ("still to come", COLORS["third"]))
            + "<table><tr><th>interviewer</th><th></th><th>interviews sat</th><th>hours</th>"
            "<th>to come</th></tr>" + rows + "</table>")


def render(providers: list[Provider], generated: dt.datetime | None = None) -> str:
    """The whole page."""
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<a href="#{escape(p.name)}">{escape(p.name)}</a>' for p in providers)
    body = "".join(
        f'<section class="provider" id="{escape(p.name)}" data-provider="{escape(p.name)}">'
        f"<h2>{escape(p.name)}</h2>{summary(p)}{funnel(p)}{time_to_hire(p)}{offers(p)}"
        f"{sources(p)}{load(p)}</section>" for p in providers)
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Recruiting report</title><style>{CSS}</style></head><body>"
            f"<header><h1>Recruiting report</h1><p>From the tap-ats marts, {when}. "
            f"Providers: <span class='nav'>{nav}</span></p></header>{body}</body></html>\n")
