"""The sandbox's hostile side on the wire: each fault driven with plain HTTP calls, not the tap.

These prove that the sandbox misbehaves exactly as documented, so that the tap's own tests
(issues 11 and 12) can trust a failure to be the tap's.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import time
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from conftest import SandboxClient

from tap_ats.sandbox.atzcrm import ODD_SLUGS
from tap_ats.sandbox.demo import fetch
from tap_ats.sandbox.merge import TOKENS
from tap_ats.sandbox.server import Sandbox, serve_in_thread

#: One present for sandboxes that must serve the same stamps though created at different times.
ANCHOR = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
CURSORED = ["kombo", "merge", "greenhouse"]
LISTS = {"kombo": "/ats/candidates", "merge": "/ats/v1/candidates",
         "greenhouse": "/v3/candidates", "atzcrm": "/candidate"}


class Api:
    """One provider account of the sandbox, spoken to with ``requests`` and no tap."""

    def __init__(self, sandbox: SandboxClient, provider: str) -> None:
        config = sandbox.config(provider)
        self.provider, self.base = provider, config["api_url"]
        self.session = requests.Session()
        if provider == "kombo":
            self.account = config["integration_ids"][0]
            self.session.headers.update({"Authorization": f"Bearer {config['api_key']}",
                                         "X-Integration-Id": self.account})
        elif provider == "merge":
            token = config["account_tokens"][0]
            self.account = TOKENS[token][0]
            self.session.headers.update({"Authorization": f"Bearer {config['api_key']}",
                                         "X-Account-Token": token})
        elif provider == "greenhouse":
            self.account = "greenhouse"
            token = requests.post(config["token_url"], timeout=10,
                                  auth=(config["client_id"], config["client_secret"]),
                                  data={"grant_type": "client_credentials",
                                        "sub": config["user_id"]}).json()["access_token"]
            self.session.headers["Authorization"] = f"Bearer {token}"
        else:
            self.account = "atzcrm"
            self.session.headers["Authorization"] = f"Bearer {config['api_token']}"

    def get(self, path: str, **params: Any) -> requests.Response:
        """One request, redirects not followed."""
        url = path if path.startswith("http") else f"{self.base}{path}"
        return self.session.get(url, params=params, timeout=10, allow_redirects=False)

    def first_page(self, size: int = 20) -> requests.Response:
        key = {"greenhouse": "per_page", "atzcrm": "limit"}.get(self.provider, "page_size")
        return self.get(LISTS[self.provider], **{key: size})

    def step(self, response: requests.Response, size: int = 20) -> requests.Response:
        """The page after ``response``: its next cursor or link, or the next page number."""
        nxt = next_of(response)
        assert nxt is not None
        if self.provider == "greenhouse":
            return self.get(nxt)
        if self.provider == "atzcrm":
            return self.get(LISTS["atzcrm"], page=nxt, limit=size)
        return self.get(LISTS[self.provider], page_size=size, cursor=nxt)

    def follow(self, first: requests.Response,
               size: int = 20) -> tuple[list[str], list[requests.Response]]:
        """Every id on every page from ``first`` on, as a client that trusts the API would."""
        ids: list[str] = []
        pages = [first]
        while len(pages) < 200:
            assert pages[-1].status_code == 200, pages[-1].text
            ids += [key(self.provider, r) for r in rows(pages[-1])]
            if next_of(pages[-1]) is None:
                return ids, pages
            pages.append(self.step(pages[-1], size))
        pytest.fail("more than 200 pages")


def body(response: requests.Response) -> Any:
    """The JSON body, decoded the forgiving way (a bad byte becomes U+FFFD)."""
    return json.loads(response.content.decode("utf-8", "replace"))


def rows(response: requests.Response) -> list[dict[str, Any]]:
    data = body(response)
    if isinstance(data, dict):
        data = data.get("data", data)
        data = data.get("results", []) if isinstance(data, dict) else data
    return data


def key(provider: str, record: dict[str, Any]) -> str:
    """A record's id as the tap keys it."""
    return record["slug"] if provider == "atzcrm" else str(record["id"])


def next_of(response: requests.Response) -> Any:
    """The next cursor, link or page number a response offers, or None."""
    data = body(response)
    if "link" in response.headers:
        return response.links["next"]["url"]
    if isinstance(data, list):
        return None
    if "current_page" in data:
        return data["current_page"] + 1 if data["current_page"] < data["last_page"] else None
    return data["data"]["next"] if "data" in data else data["next"]


def truth_ids(sandbox: SandboxClient, api: Api, stream: str = "candidates") -> list[str]:
    return sorted(i for a, i in sandbox.truth(api.provider)[stream]["ids"] if a == api.account)


def statuses(sandbox: SandboxClient) -> list[Any]:
    return [e["status"] for e in fetch(f"{sandbox.url}/_sandbox/requests")["log"]]


def cursor_of(link: str) -> str:
    """The cursor inside an absolute next-page URL."""
    return urlsplit(link).query.removeprefix("cursor=")


# Control interface -------------------------------------------------------------------------


@pytest.mark.parametrize("faults", [{"empty_page": 1}, {"redirect": 1}, {"hang": "long"},
                                    {"bad_bytes": True}, {"foreign_next": "evil.example"},
                                    {"redirect": "http://127.0.0.1:1/api"}, []])
def test_faults_refuses_unknown_keys_and_wrong_types(sandbox, faults):
    sandbox.faults(latency_ms=1)
    request = requests.post(f"{sandbox.url}/_sandbox/faults", json=faults, timeout=10)
    assert request.status_code == 400 and request.json()["error"]
    assert sandbox.sandbox.faults == {"latency_ms": 1}


def test_faults_keeps_every_old_key_and_control_calls_are_never_faulted(sandbox, listener):
    old = {"429": 0.1, "5xx": 0.1, "drop": 0.1, "malformed": 0.1, "schema": 0.1,
           "latency_ms": 1, "retry_after": 0}
    assert fetch(f"{sandbox.url}/_sandbox/faults", old) == old
    sandbox.faults(redirect=listener.url, hang=3600, empty_pages=1, bad_bytes=1)
    assert sandbox.truth("kombo")["candidates"]["count"] == 200
    assert fetch(f"{sandbox.url}/_sandbox/requests")["counts"] == {}
    assert listener.requests == []


# empty_pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", CURSORED)
def test_empty_pages_lead_back_to_the_position_asked_for(sandbox, provider):
    api = Api(sandbox, provider)
    clean_first = rows(api.first_page())
    sandbox.faults(empty_pages=1)
    empty = api.first_page()
    assert rows(empty) == [] and next_of(empty) is not None
    again = api.step(empty)
    assert rows(again) == [] and next_of(again) not in (None, next_of(empty))
    sandbox.faults()
    assert rows(api.step(again)) == clean_first
    assert statuses(sandbox)[-4:] == [200, "empty", "empty", 200]


@pytest.mark.parametrize("provider", [*CURSORED, "atzcrm"])
def test_following_empty_pages_yields_every_record(sandbox, provider):
    api = Api(sandbox, provider)
    clean_ids, clean_pages = api.follow(api.first_page())
    sandbox.faults(empty_pages=0.5)
    ids, pages = api.follow(api.first_page())
    assert sorted(ids) == sorted(clean_ids) == truth_ids(sandbox, api)
    assert len(ids) == len(set(ids))
    empties = [p for p in pages if not rows(p)]
    assert len(empties) >= 3 and len(pages) == len(clean_pages) + len(empties)
    assert statuses(sandbox).count("empty") == len(empties)


def test_faults_repeat_for_the_same_seed():
    """Two sandboxes of one seed inject the same faults into the same calls."""
    runs = []
    for _ in range(2):
        sandbox = SandboxClient(Sandbox(seed=7, applications=40, anchor=ANCHOR))
        try:
            api = Api(sandbox, "merge")
            sandbox.faults(empty_pages=0.4, repeat_cursor=0.2, bad_bytes=0.5)
            pages = [api.first_page(size=5)]
            while next_of(pages[-1]) and len(pages) < 12:
                pages.append(api.step(pages[-1], 5))
            runs.append(([p.content for p in pages], statuses(sandbox), sandbox.damaged()))
        finally:
            sandbox.server.shutdown()
            sandbox.server.server_close()
    assert runs[0] == runs[1]
    assert {"empty", "repeat", "bad_bytes"} <= {f for s in runs[0][1] for f in str(s).split("+")}


def test_atz_empty_pages_keep_last_page_honest_even_at_rate_one(sandbox):
    api = Api(sandbox, "atzcrm")
    clean_last = body(api.first_page())["last_page"]
    sandbox.faults(empty_pages=1)
    ids, pages = api.follow(api.first_page())
    assert sorted(ids) == truth_ids(sandbox, api)
    assert [bool(rows(p)) for p in pages] == [False, True] * clean_last
    assert {body(p)["last_page"] for p in pages} == {2 * clean_last}


# repeat_cursor -------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", CURSORED)
def test_repeat_cursor_returns_the_requests_own_cursor_from_page_two_on(sandbox, provider):
    api = Api(sandbox, provider)
    sandbox.faults(repeat_cursor=1)
    first = api.first_page()
    assert next_of(first) is not None
    own = next_of(first)
    second = api.step(first)
    assert rows(second) and next_of(second) == own
    third = api.step(second)
    assert rows(third) == rows(second) and next_of(third) == own
    assert statuses(sandbox)[-3:] == [200, "repeat", "repeat"]


# hang ----------------------------------------------------------------------------------------


def test_hang_answers_nothing_yet_ends_at_once_on_shutdown():
    sandbox = Sandbox(seed=42, applications=20)
    server = serve_in_thread(sandbox)
    try:
        fetch(f"{server.base_url}/_sandbox/faults", {"hang": 3600})
        with pytest.raises(requests.ReadTimeout):
            requests.get(f"{server.base_url}/atzcrm/v1/candidate", timeout=(1, 1))
        hung = socket.create_connection(server.server_address, timeout=0.3)
        hung.sendall(b"GET /kombo/v1/ats/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        with pytest.raises(TimeoutError):
            hung.recv(1)
        assert [e["status"] for e in fetch(f"{server.base_url}/_sandbox/requests")["log"]] == [
            "hang", "hang"]
        start = time.monotonic()
    finally:
        server.shutdown()
        server.server_close()
    hung.settimeout(5)
    assert hung.recv(1) == b""
    assert time.monotonic() - start < 2
    hung.close()


def test_a_short_hang_is_answered_late_but_in_full(sandbox):
    api = Api(sandbox, "kombo")
    clean = rows(api.first_page())
    sandbox.faults(hang=0.05)
    start = time.monotonic()
    late = api.first_page()
    assert time.monotonic() - start >= 0.05
    assert rows(late) == clean and statuses(sandbox)[-1] == "hang"


# redirect, redirect_self, foreign_next -------------------------------------------------------


@pytest.mark.parametrize("provider", [*CURSORED, "atzcrm"])
def test_redirect_sends_every_api_request_to_the_url_with_path_and_query(sandbox, listener,
                                                                        provider):
    api = Api(sandbox, provider)
    sandbox.faults(redirect=listener.url)
    moved = api.first_page(size=7)
    assert moved.status_code == 302
    split = urlsplit(moved.request.url)
    assert moved.headers["Location"] == f"{listener.url}{split.path}?{split.query}"
    followed = api.session.get(moved.request.url, timeout=10)
    assert followed.status_code == 200 and followed.json() == []
    assert [(r["path"], r["raw_query"]) for r in listener.requests] == [(split.path,
                                                                         split.query)]
    assert statuses(sandbox)[-2:] == ["redirect", "redirect"]


def test_redirect_covers_the_greenhouse_token_request(sandbox, listener):
    config = sandbox.config("greenhouse")
    sandbox.faults(redirect=listener.url)
    moved = requests.post(config["token_url"], data={"grant_type": "client_credentials"},
                          auth=(config["client_id"], config["client_secret"]), timeout=10,
                          allow_redirects=False)
    assert moved.status_code == 302
    assert moved.headers["Location"] == f"{listener.url}{urlsplit(config['token_url']).path}"


def test_redirect_self_loops_at_rate_one_and_costs_only_hops_below(sandbox):
    api = Api(sandbox, "merge")
    clean_ids, clean_pages = api.follow(api.first_page())
    sandbox.faults(redirect_self=1)
    looped = api.first_page()
    assert looped.status_code == 307 and looped.headers["Location"] == looped.request.url
    api.session.max_redirects = 5
    with pytest.raises(requests.TooManyRedirects):
        api.session.get(looped.request.url, timeout=10)
    before = statuses(sandbox).count("redirect_self")
    sandbox.faults(redirect_self=0.3)
    pages = [api.session.get(f"{api.base}{LISTS['merge']}", params={"page_size": 20},
                             timeout=10)]
    ids = []
    while True:
        ids += [r["id"] for r in rows(pages[-1])]
        if not next_of(pages[-1]):
            break
        pages.append(api.session.get(f"{api.base}{LISTS['merge']}", timeout=10,
                                     params={"page_size": 20, "cursor": next_of(pages[-1])}))
    assert ids == clean_ids and len(pages) == len(clean_pages)
    hops = sum(len(p.history) for p in pages)
    assert hops >= 2 and hops == statuses(sandbox).count("redirect_self") - before


@pytest.mark.parametrize("provider", CURSORED)
def test_foreign_next_points_at_the_foreign_origin_with_the_real_cursor(sandbox, listener,
                                                                       provider):
    api = Api(sandbox, provider)
    sandbox.faults(foreign_next=listener.url)
    link = next_of(api.first_page())
    split = urlsplit(link)
    assert f"{split.scheme}://{split.netloc}" == listener.url
    assert split.path == f"{urlsplit(api.base).path}{LISTS[provider]}"
    assert split.query.startswith("cursor=")
    assert statuses(sandbox)[-1] == "foreign_next"
    sandbox.faults()
    real_next = next_of(api.first_page())
    assert cursor_of(link) == (cursor_of(real_next) if provider == "greenhouse" else real_next)
    assert listener.requests == []


# bad_bytes -----------------------------------------------------------------------------------

PAGES = {"kombo": ["/ats/applications", "/ats/jobs", "/ats/interviews", "/ats/candidates"],
         "merge": ["/ats/v1/applications", "/ats/v1/jobs", "/ats/v1/job-interview-stages",
                   "/ats/v1/interviews", "/ats/v1/candidates"],
         "greenhouse": ["/v3/applications", "/v3/jobs", "/v3/job_interview_stages",
                        "/v3/interviews", "/v3/candidates"],
         "atzcrm": ["/candidate"]}
#: The pages with a text field ``bad_bytes`` may spoil: a Merge application's only one, its
#: ``source``, is the key of the sources stream, and is left alone.
TEXT_PAGES = {provider: [p for p in pages if (provider, p) != ("merge", "/ats/v1/applications")]
              for provider, pages in PAGES.items()}


def dotted(record: Any, path: str) -> Any:
    for part in path.split("."):
        record = record[int(part)] if isinstance(record, list) else record[part]
    return record


def served_with_damage(sandbox: SandboxClient, api: Api,
                       path: str) -> tuple[requests.Response, list[dict[str, Any]]]:
    """One request and the damage the sandbox recorded for it."""
    before = len(sandbox.damaged())
    response = api.get(path)
    return response, sandbox.damaged()[before:]


@pytest.mark.parametrize("provider", [*CURSORED, "atzcrm"])
def test_bad_bytes_are_invalid_utf8_in_text_fields_of_the_first_record(sandbox, provider):
    api = Api(sandbox, provider)
    clean = {path: rows(api.get(path)) for path in TEXT_PAGES[provider]}
    sandbox.faults(bad_bytes=1)
    kinds = set()
    for path in TEXT_PAGES[provider]:
        served, damaged = served_with_damage(sandbox, api, path)
        assert served.content.count(b"\xff") == 1
        with pytest.raises(UnicodeDecodeError):
            served.content.decode("utf-8")
        got = rows(served)
        assert [d["kind"] for d in damaged] == ["invalid_utf8", "lone_surrogate"][:len(damaged)]
        assert {(d["provider"], d["account"], d["id"]) for d in damaged} == {
            (provider, api.account, key(provider, got[0]))}
        for d in damaged:
            value = dotted(got[0], d["field"]).replace("\ud800", "\ufffd")
            assert value == d["expected"] != dotted(clean[path][0], d["field"])
        kinds |= {d["kind"] for d in damaged}
        changed = [a for a, b in zip(flat(got[0]), flat(clean[path][0]), strict=True) if a != b]
        assert len(changed) == len(damaged)
        assert got[1:] == clean[path][1:]
        assert statuses(sandbox)[-1] == "bad_bytes"
    assert kinds == {"invalid_utf8", "lone_surrogate"}


def flat(record: Any) -> list[Any]:
    """Every leaf value of a record, in order."""
    if isinstance(record, dict):
        return [leaf for value in record.values() for leaf in flat(value)]
    if isinstance(record, list):
        return [leaf for value in record for leaf in flat(value)]
    return [record]


def test_bad_bytes_reach_atz_histories(sandbox):
    api = Api(sandbox, "atzcrm")
    sandbox.faults(bad_bytes=1)
    histories = [api.get(f"/candidate/{quote(c['slug'], safe='')}/history")
                 for c in rows(api.first_page())]
    spoiled = [h for h in histories if rows(h)]
    assert spoiled and all(h.content.count(b"\xff") == 1 for h in spoiled)
    fields = {(d["stream"], d["field"], d["kind"]) for d in sandbox.damaged()
              if d["path"].endswith("/history")}
    assert fields == {("candidate_history", "job_name", "invalid_utf8"),
                      ("candidate_history", "organization.name", "lone_surrogate")}


# bad_records ---------------------------------------------------------------------------------

BOOKMARK = {"kombo": "changed_at", "merge": "modified_at", "greenhouse": "updated_at",
            "atzcrm": "updated_at"}


def utc(value: str) -> dt.datetime:
    """A careful reader's instant: naive means UTC, a date means its midnight."""
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def shape(value: str) -> str:
    """Which readable-but-odd timestamp shape ``value`` has."""
    if len(value) == 10:
        return "date"
    if " " in value:
        return "space"
    return "offset" if "+" in value else "naive"


@pytest.mark.parametrize("provider", [*CURSORED, "atzcrm"])
def test_bad_records_spoil_only_non_key_fields_of_the_first_record(sandbox, provider):
    api = Api(sandbox, provider)
    clean = {path: rows(api.get(path)) for path in PAGES[provider]}
    sandbox.faults(bad_records=1)
    seen: dict[str, set[Any]] = {}
    for path in PAGES[provider] * (12 // len(PAGES[provider]) + 1):
        served, damaged = served_with_damage(sandbox, api, path)
        got = rows(served)
        assert damaged and got[1:] == clean[path][1:]
        assert {(d["provider"], d["account"], d["id"]) for d in damaged} == {
            (provider, api.account, key(provider, got[0]))}
        fields = {d["field"] for d in damaged}
        assert {"id", "slug", BOOKMARK[provider]}.isdisjoint(fields)
        tops = {f.split(".")[0] for f in fields}
        assert {k: v for k, v in got[0].items() if k not in tops} == {
            k: v for k, v in clean[path][0].items() if k not in tops}
        for d in damaged:
            value = dotted(got[0], d["field"])
            assert value == d["served"] != dotted(clean[path][0], d["field"])
            if d["kind"] == "integer_id":
                assert isinstance(value, int) and d["expected"] == str(value)
                assert isinstance(dotted(clean[path][0], d["field"]), str)
            elif d["kind"] == "odd_time":
                assert utc(value) == dt.datetime.fromisoformat(d["expected"])
                value = shape(value)
            else:
                assert d["kind"] == "unreadable_time" and d["expected"] is None
                with pytest.raises(ValueError):
                    dt.datetime.fromisoformat(value)
            seen.setdefault(d["kind"], set()).add(value)
        assert statuses(sandbox)[-1] == "bad_records"
    assert seen["unreadable_time"] == {"yesterday", "2024-13-45T99:00:00Z"}
    assert len(seen["odd_time"]) >= 3, seen
    assert seen["integer_id"]


# odd_slugs -----------------------------------------------------------------------------------


def raw_get(sandbox: SandboxClient, path: str) -> int:
    """The status of a GET whose path is sent exactly as given (no client-side quoting)."""
    connection = http.client.HTTPConnection(*sandbox.server.server_address, timeout=10)
    config = sandbox.config("atzcrm")
    connection.request("GET", path, headers={"Authorization": f"Bearer {config['api_token']}"})
    status = connection.getresponse().status
    connection.close()
    return status


def test_odd_slugs_round_trip_encoded_and_miss_when_sent_raw(sandbox):
    fetch(f"{sandbox.url}/_sandbox/reset", {"odd_slugs": True})
    api = Api(sandbox, "atzcrm")
    slugs, _ = api.follow(api.first_page(size=100), size=100)
    assert slugs == api.follow(api.first_page(size=100), size=100)[0]
    assert sorted(slugs) == truth_ids(sandbox, api)
    assert all(any(s.startswith(f"{odd}-") for s in slugs) for odd in ODD_SLUGS)
    truth = sandbox.truth("atzcrm")
    jobs = {i for _, i in truth["jobs"]["ids"]}
    assert all(any(j.startswith(f"{odd}-") for j in jobs) for odd in ODD_SLUGS[:5])
    base = urlsplit(api.base).path
    tried = 0
    for slug in slugs:
        history = api.get(f"/candidate/{quote(slug, safe='')}/history")
        assert history.status_code == 200
        for row in rows(history):
            assert row["job_slug"] in jobs
            job = api.get(f"/job/{quote(row['job_slug'], safe='')}")
            assert job.status_code == 200 and job.json()["slug"] == row["job_slug"]
        if slug.isascii() and " " not in slug:
            tried += 1
            assert raw_get(sandbox, f"{base}/candidate/{slug}/history") == 404, slug
    assert tried >= 6
    fetch(f"{sandbox.url}/_sandbox/reset", {})
    assert truth_ids(sandbox, api) == sorted(slugs)
    fetch(f"{sandbox.url}/_sandbox/reset", {"odd_slugs": False})
    assert all(s.startswith("candidate_") for s in truth_ids(sandbox, api))


def test_reset_refuses_a_non_boolean_odd_slugs(sandbox):
    reset = requests.post(f"{sandbox.url}/_sandbox/reset", json={"odd_slugs": "yes"}, timeout=10)
    assert reset.status_code == 400


@pytest.mark.parametrize("provider", ["kombo", "merge"])
def test_5xx_account_fails_only_that_account(sandbox, provider):
    config = sandbox.config(provider)
    api = Api(sandbox, provider)
    header = "X-Integration-Id" if provider == "kombo" else "X-Account-Token"
    other = (config["integration_ids"] if provider == "kombo" else config["account_tokens"])[1]
    sandbox.faults(**{"5xx_account": other, "retry_after": 0})
    assert api.get(LISTS[provider]).status_code == 200
    failed = api.session.get(f"{api.base}{LISTS[provider]}", headers={header: other}, timeout=10)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "0"
