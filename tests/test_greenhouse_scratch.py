"""Greenhouse's whole-account ratings and panels, kept on disk for the run (``scratch.py``).

Each page of scorecards or interviews asks for its own rows: these tests feed the lookups in
several pages, out of row order, with more keys than one query takes, and check what each
page gets; and that a lookup that fails part-way keeps nothing and leaves its columns null.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tap_ats.http import GiveUp
from tap_ats.providers.greenhouse import scratch
from tap_ats.tap import TapATS

CONFIG = {"provider": "greenhouse", "client_id": "c", "client_secret": "s", "user_id": "1",
          "api_url": "http://127.0.0.1:9/greenhouse", "token_url": "http://127.0.0.1:9/token"}
ACCOUNT = {"account_id": "greenhouse"}
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

#: Rating rows of 30 scorecards, three each, given in descending row id (Greenhouse's order is
#: by id, the tap must not rely on the order they arrive in).
RATINGS = [{"id": 1000 - n, "scorecard_id": 500 + n % 30, "job_candidate_attribute_id": 70 + n,
            "candidate_attribute_rating": ["yes", "no", "mixed"][n % 3]} for n in range(90)]
#: Panel rows: interview 9 has two people (joined in row order 2, then 1) and a row without a
#: user; scorecard 600 sits on two rows, the later (id 5) naming interview 8.
PANEL = [
    {"id": 3, "interview_id": 9, "user_id": 41, "scorecard_id": 600,
     "updated_at": "2026-03-01T00:00:00Z"},
    {"id": 1, "interview_id": 9, "user_id": 40, "scorecard_id": None,
     "updated_at": "2026-03-02T00:00:00Z"},
    {"id": 4, "interview_id": 9, "user_id": None, "scorecard_id": None, "updated_at": None},
    {"id": 5, "interview_id": 8, "user_id": 42, "scorecard_id": 600,
     "updated_at": "2026-02-01T00:00:00Z"},
    {"id": 6, "interview_id": 7, "user_id": 43, "scorecard_id": 601, "updated_at": "junk"},
]


def pages(rows: list[dict], size: int, fail_after: int | None = None) -> Any:
    """``rows`` as ``fetch_each`` gives them, a page at a time; GiveUp after ``fail_after``."""
    for start in range(0, len(rows), size):
        if fail_after is not None and start >= fail_after:
            raise GiveUp("retries ran out", outage=True)
        yield from rows[start:start + size]


@pytest.fixture
def tap(monkeypatch) -> TapATS:
    """A tap whose lookups answer RATINGS and PANEL (7 rows a page); keys 4 a query."""
    monkeypatch.setattr(scratch, "CHUNK", 4)
    found = TapATS(config=CONFIG, setup_mapper=False)
    answers = {"/v3/scorecard_candidate_attributes": RATINGS, "/v3/interviewers": PANEL,
               "/v3/job_interviews": [], "/v3/job_candidate_attributes": [
                   {"id": 70 + n, "name": f"attribute {n}"} for n in range(90)]}
    for stream in found.streams.values():
        stream._account = ACCOUNT
        monkeypatch.setattr(stream, "fetch_each", lambda path, context, params=None: pages(
            answers[path], 7))
    return found


def test_each_page_gets_its_cards_ratings_in_row_order(tap):
    cards = tap.streams["scorecards"]
    first, second = [{"id": 500 + n} for n in range(10)], [{"id": 510 + n} for n in range(25)]
    cards.prepare(first)
    assert set(cards._ratings) == {str(500 + n) for n in range(10)}
    cards.prepare(second)
    assert set(cards._ratings) == {str(510 + n) for n in range(20)}  # 530-534 have none
    for card, ratings in cards._ratings.items():
        rows = sorted((r for r in RATINGS if str(r["scorecard_id"]) == card),
                      key=lambda r: r["id"])
        assert ratings == [{"name": f"attribute {r['job_candidate_attribute_id'] - 70}",
                            "rating": r["candidate_attribute_rating"]} for r in rows]
    assert cards.map_record({"id": 534})["ratings"] == []
    assert cards.map_record({"id": 515})["ratings"] == cards._ratings["515"]


def test_panels_by_page(tap):
    cards, interviews = tap.streams["scorecards"], tap.streams["interviews"]
    cards.prepare([{"id": 600}, {"id": 601}, {"id": 602}])
    assert [cards.map_record({"id": n})["interview_id"] for n in (600, 601, 602)] == [
        "8", "7", None]
    interviews.prepare([{"id": 9}, {"id": 7}, {"id": 6}])
    assert [interviews.map_record({"id": n})["interviewer_ids"] for n in (9, 7, 6)] == [
        ["40", "41"], ["43"], []]
    panels = tap.provider.panels_read(ACCOUNT)
    assert panels.changed_not_out(None) == ["8", "9"]  # 7's change time does not read
    assert panels.changed_not_out(T0) == ["9"]
    tap.provider.scratch.went_out("greenhouse", ["9"])
    assert panels.changed_not_out(None) == ["8"]
    assert tap.provider.scratch.not_out("greenhouse", ["9", "8", "8", "10"]) == ["10", "8"]


def test_a_lookup_failed_part_way_keeps_nothing_and_leaves_columns_null(tap, monkeypatch):
    cards = tap.streams["scorecards"]
    monkeypatch.setattr(cards, "fetch_each", lambda path, context, params=None: pages(
        RATINGS if path.endswith("attributes") else PANEL, 2, fail_after=4))
    cards.prepare([{"id": 500}, {"id": 600}])
    assert cards._ratings is None and cards._interviews is None
    assert cards.map_record({"id": 600})["ratings"] is None
    assert cards.map_record({"id": 600})["interview_id"] is None
    cards.prepare([{"id": 501}])  # not asked again in this run
    assert cards._ratings is None
    assert tap.provider.scratch.query("SELECT count(*) FROM rating")[0][0] == 0
    assert tap.provider.scratch.query("SELECT count(*) FROM panel")[0][0] == 0
