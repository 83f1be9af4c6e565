"""The cyclic garbage collector during a sync: startup frozen, collections rare, all restored."""

from __future__ import annotations

import gc
import json

from tap_ats.client import ATSStream
from tap_ats.tap import GC_THRESHOLD, TapATS


def test_a_sync_collects_rarely_over_a_frozen_startup_and_restores_the_collector(
        sandbox, monkeypatch, capfd):
    seen = []
    parse_page = ATSStream.parse_page

    def spy(self, answer):
        seen.append((gc.get_threshold()[0], gc.get_freeze_count(), gc.isenabled()))
        return parse_page(self, answer)

    monkeypatch.setattr(ATSStream, "parse_page", spy)
    before = gc.get_threshold()
    TapATS(config=sandbox.config("kombo")).sync_all()
    records = [m for m in map(json.loads, capfd.readouterr().out.splitlines())
               if m["type"] == "RECORD"]
    assert records and seen
    assert all(threshold == GC_THRESHOLD and frozen > 0 and enabled
               for threshold, frozen, enabled in seen)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
