"""Read-ahead over many accounts: a window of ``max_concurrency`` accounts, in write order.

Memory must not grow with the number of accounts, and no scheduling of the readers may leave
the account being written without one (the old design could: later accounts took every slot,
filled their buffers and waited, holding their slots, for a writer that waited for account 1).
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import TAP, SandboxClient

from tap_ats import readahead
from tap_ats.readahead import PageWaits, ReadAhead
from tap_ats.sandbox.server import Sandbox


def page(size: int) -> SimpleNamespace:
    """A stand-in for an answer: what the buffer reads of one is its response's ``content``."""
    return SimpleNamespace(response=SimpleNamespace(content=b"x" * size))


def test_the_writer_is_never_left_without_a_reader_whatever_the_schedule(monkeypatch):
    """Accounts 2 and 3 fill their buffers before account 1 has sent anything."""
    monkeypatch.setattr(readahead, "PREFETCH_BYTES", 100)
    later_full = threading.Event()
    blocked: set[str] = set()
    lock = threading.Lock()
    live, most = 0, 0

    def read(context: dict) -> Iterator[SimpleNamespace]:
        nonlocal live, most
        account = context["account_id"]
        with lock:
            live += 1
            most = max(most, live)
        try:
            if account == "a1":
                assert later_full.wait(10), "the later accounts never filled their buffers"
            for n in range(20):  # 20 pages of 60 bytes: the buffer of 100 is full after 2
                if n == 2:  # the reader will wait to hand this page over
                    with lock:
                        blocked.add(account)
                        if {"a2", "a3"} <= blocked:
                            later_full.set()
                yield page(60)
        finally:
            with lock:
                live -= 1

    partitions = [{"account_id": f"a{n}"} for n in range(1, 41)]
    prepared: list[str] = []
    window = ReadAhead(read, lambda p: prepared.append(p["account_id"]), partitions, 3,
                       waits=PageWaits(0))
    got: list[int] = []

    def write() -> None:
        for partition in partitions:
            got.append(sum(len(a.response.content) for a in window.answers(partition)))

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(30)
    assert not writer.is_alive(), "the writer waited forever"
    assert got == [20 * 60] * 40
    assert most <= 3 and prepared == [p["account_id"] for p in partitions]


def test_a_failed_account_lets_the_next_one_into_the_window():
    def read(context: dict) -> Iterator[SimpleNamespace]:
        if context["account_id"] == "a1":
            msg = "account a1 broke"
            raise RuntimeError(msg)
        yield page(10)

    partitions = [{"account_id": f"a{n}"} for n in range(1, 6)]
    window = ReadAhead(read, lambda _: None, partitions, 2, waits=PageWaits(0))
    with pytest.raises(RuntimeError, match="a1 broke"):
        list(window.answers(partitions[0]))
    assert [len(list(window.answers(p))) for p in partitions[1:]] == [1, 1, 1, 1]
    assert window.reading == 0


def test_an_account_read_again_is_read_in_place_without_widening_the_window():
    calls: list[str] = []

    def read(context: dict) -> Iterator[SimpleNamespace]:
        calls.append(context["account_id"])
        yield page(10)

    partitions = [{"account_id": f"a{n}"} for n in range(1, 4)]
    window = ReadAhead(read, lambda _: None, partitions, 1, waits=PageWaits(0))
    assert len(list(window.answers(partitions[0]))) == 1
    assert len(list(window.answers(partitions[0]))) == 1  # again: here, not by a reader
    assert window.reading == 1
    assert [len(list(window.answers(p))) for p in partitions[1:]] == [1, 1]
    assert calls.count("a1") == 2 and window.reading == 0


class Clock:
    """Time that passes only when a page says how long it took: no test waits for real."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def spend(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def timed_pages(clock: Clock, took: dict[str, list[float]], where: dict[str, set[str]]):
    """A reader of accounts whose pages take ``took[account]`` seconds each; threads noted."""

    def read(context: dict) -> Iterator[SimpleNamespace]:
        account = context["account_id"]
        for seconds in took[account]:
            where.setdefault(account, set()).add(threading.current_thread().name)
            clock.spend(seconds)
            yield page(10)

    return read


def test_quick_pages_are_read_here_and_a_slow_account_starts_the_readers(caplog):
    clock, where, prepared, waits = Clock(), {}, [], PageWaits()
    took = {"a1": [0.002] * 6, "a2": [0.2] * 3, **{f"a{n}": [0.2] * 2 for n in range(3, 7)}}
    partitions = [{"account_id": a} for a in took]
    window = ReadAhead(timed_pages(clock, took, where), lambda p: prepared.append(
        p["account_id"]), partitions, 3, waits=waits, clock=clock,
        logger=logging.getLogger("t"))
    main = threading.current_thread().name
    assert len(list(window.answers(partitions[0]))) == 6
    assert not window.ahead and window.reading == 0 and prepared == []
    with caplog.at_level(logging.INFO, logger="t"):
        assert len(list(window.answers(partitions[1]))) == 3
    assert window.ahead
    assert "Pages take 200 ms: reading up to 2 accounts ahead" in caplog.text
    assert [len(list(window.answers(p))) for p in partitions[2:]] == [2, 2, 2, 2]
    assert where["a1"] == where["a2"] == {main}
    assert all(where[f"a{n}"] == {f"read-ahead-a{n}"} for n in range(3, 7)), where
    assert prepared == ["a3", "a4", "a5", "a6"] and window.reading == 0
    # The next stream of the run: the API is known to be slow, its readers start at once.
    window = ReadAhead(timed_pages(clock, took, where), lambda _: None, partitions, 3,
                       waits=waits, clock=clock)
    assert window.ahead and window.reading == 3
    assert [len(list(window.answers(p))) for p in partitions] == [6, 3, 2, 2, 2, 2]


def test_one_slow_page_among_quick_ones_starts_no_reader():
    clock, where = Clock(), {}
    took = {"a1": [0.002, 0.002, 1.5, 0.002, 0.002, 0.002, 0.002], "a2": [0.002]}
    partitions = [{"account_id": a} for a in took]
    window = ReadAhead(timed_pages(clock, took, where), lambda _: None, partitions, 2,
                       waits=PageWaits(), clock=clock)
    assert [len(list(window.answers(p))) for p in partitions] == [7, 1]
    assert not window.ahead and where["a2"] == {threading.current_thread().name}


def test_accounts_read_here_out_of_order_or_again_are_each_read_whole():
    clock, where = Clock(), {}
    took = {f"a{n}": [0.001] * 2 for n in range(1, 5)}
    partitions = [{"account_id": a} for a in took]
    window = ReadAhead(timed_pages(clock, took, where), lambda _: None, partitions, 2,
                       waits=PageWaits(), clock=clock)
    order = [partitions[1], partitions[0], partitions[0], partitions[2], partitions[3]]
    assert [len(list(window.answers(p))) for p in order] == [2, 2, 2, 2, 2]
    assert not window.ahead and window.reading == 0


def test_an_account_read_here_and_left_early_closes_its_read():
    closed = []

    def read(context: dict) -> Iterator[SimpleNamespace]:
        try:
            yield from (page(10) for _ in range(5))
        finally:
            closed.append(context["account_id"])

    partitions = [{"account_id": "a1"}, {"account_id": "a2"}]
    window = ReadAhead(read, lambda _: None, partitions, 2, waits=PageWaits())
    answers = window.answers(partitions[0])
    next(answers)
    answers.close()
    assert closed == ["a1"]


def slow_target(proc: subprocess.Popen) -> tuple[bytes, int]:
    """Read the tap's stdout as a target slower than the API: 16 KiB, then 2 ms; and its peak.

    The peak is the process's own high-water mark (VmHWM), polled while it runs: rusage would
    also count the pages of this test process that the child had between fork and exec.
    """
    chunks, peak_kb = [], 0
    while chunk := proc.stdout.read(16384):
        chunks.append(chunk)
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            status = ""
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak_kb = max(peak_kb, int(line.split()[1]))
        time.sleep(0.002)
    return b"".join(chunks), peak_kb


@pytest.mark.parametrize("latency_ms", [0, 40])
@pytest.mark.parametrize("provider", ["kombo", "merge"])
def test_a_thousand_accounts_in_bounded_memory(tmp_path, provider, latency_ms):
    """1,000 accounts, a slow target: every id arrives and the tap's peak RSS stays small.

    At 40 ms a page, readers read ahead (the tap says so); at 0 the accounts are read in turn.
    """
    client = SandboxClient(Sandbox(seed=7, applications=2000, accounts=1000))
    client.faults(latency_ms=latency_ms)
    try:
        config = client.config(provider, max_concurrency=4)
        cfg = tmp_path / "config.json"
        cfg.write_text(json.dumps(config))
        catalog = json.loads(subprocess.run([TAP, "--config", str(cfg), "--discover"],
                                            capture_output=True, text=True,
                                            check=True).stdout)
        for stream in catalog["streams"]:
            chosen = stream["tap_stream_id"] in ("applications", "application_stages")
            for entry in stream["metadata"]:
                if entry["breadcrumb"] == []:
                    entry["metadata"]["selected"] = chosen
        cat = tmp_path / "catalog.json"
        cat.write_text(json.dumps(catalog))
        err = (tmp_path / "stderr").open("w+")
        proc = subprocess.Popen([TAP, "--config", str(cfg), "--catalog", str(cat)],
                                stdout=subprocess.PIPE, stderr=err)
        killer = threading.Timer(600, proc.kill)  # bounded: a hang fails the test
        killer.start()
        out, peak_kb = slow_target(proc)
        assert proc.wait() == 0
        killer.cancel()
        got = {(m["record"]["account_id"], m["record"]["id"]) for m in map(
            json.loads, out.splitlines()) if m["type"] == "RECORD"
               and m["stream"] == "applications"}
        truth = client.truth(provider)
        assert got == {tuple(k) for k in truth["applications"]["ids"]}
        assert len({account for account, _ in got}) == 1000
        assert 0 < peak_kb / 1024 < 250, peak_kb
        err.seek(0)
        assert ("accounts ahead" in err.read()) == bool(latency_ms)
    finally:
        client.server.shutdown()
