"""The raw baseline: the least code that makes the tap's HTTP requests and writes RECORD lines.

It replays the sandbox's request log of a tap run (same URLs, same routing headers, the same
JSON bodies of Ashby's POSTs), with plain ``requests`` and ``json``: decode each body, write one
Singer RECORD line per record. The tap's CPU per record is reported as a ratio to this. With
``"paced": true`` each request is sent as long after the first as the tap sent it, for the
paced column: the same waits, in one sleep each.
"""

from __future__ import annotations

import json
import sys
import time

import requests


def records_in(payload: object) -> list:
    """Records in any provider's body: a list's rows, or one object (an ATZ job)."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        data = payload.get("data", payload)
        if isinstance(data, dict):
            return data["results"] if "results" in data else [data]
        if isinstance(data, list):
            return data
    return []


def send(session: requests.Session, job: dict, entry: dict) -> requests.Response:
    """One request of the log, as the tap sent it."""
    url = job["base_url"] + entry["path"] + ("?" + entry["query"] if entry["query"] else "")
    headers = {"Authorization": job["authorization"], **entry["route"]}
    if entry["method"] == "POST":  # Ashby: the filters in a JSON body, as the log keeps it
        return session.post(url, data=entry.get("body", "{}").encode(), timeout=60,
                            headers={**headers, "Content-Type": "application/json"})
    return session.get(url, headers=headers, timeout=60)


def main() -> None:
    """Read ``{"base_url", "authorization", "requests": [...]}`` from stdin and replay it."""
    job = json.load(sys.stdin)
    session = requests.Session()
    out = sys.stdout
    started, first = time.time(), job["requests"][0]["t"] if job["requests"] else 0.0
    for entry in job["requests"]:
        if job.get("paced") and (ahead := entry["t"] - first - (time.time() - started)) > 0:
            time.sleep(ahead)  # as long after the first as the tap sent it
        response = send(session, job, entry)
        while response.status_code == 429:  # a paced client obeys the limit it runs into
            time.sleep(float(response.headers.get("Retry-After") or 1))
            response = send(session, job, entry)
        response.raise_for_status()
        stream = entry["path"].rstrip("/").rsplit("/", 1)[-1]
        for record in records_in(response.json()):
            out.write(json.dumps({"type": "RECORD", "stream": stream, "record": record}))
            out.write("\n")


if __name__ == "__main__":
    main()
