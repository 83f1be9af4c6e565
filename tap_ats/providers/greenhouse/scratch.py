"""The account-wide lookups that grow with the tenant, kept on disk for the run, not in memory.

A first sync reads every attribute rating (``/v3/scorecard_candidate_attributes``), panel row
(``/v3/interviewers``), job interview and job attribute of the account once, and maps a page
of scorecards or interviews at a time against them; interviews also note which of them went
out, to find the ones whose panel alone changed. Held in dicts for the run, these made the
peak memory grow with the tenant (1.3 GB at 1,000,000 applications, most of it these). Here
they are rows of one private temporary SQLite database (:class:`Scratch`): SQLite keeps a few
megabytes of it in memory whatever its size, and its file is gone when the process ends,
however it ends. Each page asks for its own rows only (:meth:`Scratch.ratings`,
:meth:`Scratch.named`, :meth:`PanelIndex.people`, :meth:`PanelIndex.interviews_of`).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import typing as t
from dataclasses import dataclass

from tap_ats.providers.greenhouse.client import changed_at

#: A rating as a scorecard carries it: (``job_candidate_attribute_id``, the rating in
#: Greenhouse's word), in the order Greenhouse gave them (by row id).
Rating = tuple[t.Any, str | None]

#: Keys per ``IN (...)`` of a query: a page's ids at most, far below SQLite's limit.
CHUNK = 500

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

SCHEMA = """
CREATE TABLE rating (account TEXT, card TEXT, id, attribute TEXT, word TEXT);
CREATE TABLE panel (account TEXT, id, interview TEXT, user TEXT, card TEXT, at INTEGER);
CREATE TABLE out (account TEXT, interview TEXT, PRIMARY KEY (account, interview))
    WITHOUT ROWID;
CREATE TABLE named (account TEXT, path TEXT, id TEXT, name, extra TEXT);
"""
#: Built after a whole list is in: an index filled at once costs less than one kept up to date.
INDEXES = """
CREATE INDEX IF NOT EXISTS rating_of ON rating (account, card, id);
CREATE INDEX IF NOT EXISTS panel_of ON panel (account, interview, id);
CREATE INDEX IF NOT EXISTS card_of ON panel (account, card, id) WHERE card IS NOT NULL;
CREATE INDEX IF NOT EXISTS named_of ON named (account, path, id);
"""


def micros(when: dt.datetime) -> int:
    """An aware time as whole microseconds since 1970: exact, and ordered as times are."""
    return (when - EPOCH) // dt.timedelta(microseconds=1)


def key(value: t.Any) -> str | None:
    """An id as the text it is looked up by (None stays None)."""
    return None if value is None else str(value)


class Scratch:
    """One private temporary SQLite database for the run (created on first need).

    An empty file name makes SQLite create the file itself, unlinked, so it is gone when the
    process ends, even by ``os._exit`` or a signal. One connection, used under a lock.
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._db.executescript(SCHEMA)
        self.lock = threading.Lock()

    def load(self, table: str, columns: int, rows: t.Iterable[tuple]) -> None:
        """Insert ``rows`` into ``table`` in one transaction, then build the indexes.

        ``rows`` may be a lookup still being read: if it fails part-way, nothing is kept.
        """
        with self.lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    f"INSERT INTO {table} VALUES ({','.join('?' * columns)})", rows)  # noqa: S608 (names)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._db.executescript(INDEXES)

    def query(self, sql: str, *args: t.Any) -> list[tuple]:
        """The rows of one query."""
        with self.lock:
            return self._db.execute(sql, args).fetchall()

    def keyed(self, sql: str, account: str, keys: t.Sequence[str],
              skip: int = 0) -> t.Iterator[tuple]:
        """The rows of ``sql`` for the account and ``keys``, :data:`CHUNK` keys a query.

        ``sql`` binds the account first, then the first ``skip`` of ``keys`` as they are, and
        ``IN (KEYS)`` stands for the rest.
        """
        fixed, keys = keys[:skip], keys[skip:]
        for start in range(0, len(keys), CHUNK):
            part = keys[start:start + CHUNK]
            yield from self.query(sql.replace("KEYS", ",".join("?" * len(part))), account,
                                  *fixed, *part)

    def ratings(self, account: str, cards: t.Sequence[str]) -> dict[str, list[Rating]]:
        """The ratings of ``cards`` that have any, each card's in the order of their row ids."""
        found: dict[str, list[Rating]] = {}
        for card, attribute, word in self.keyed(
                "SELECT card, attribute, word FROM rating WHERE account = ? AND card IN (KEYS) "
                "ORDER BY card, id", account, cards):
            found.setdefault(card, []).append((attribute, word))
        return found

    def named(self, account: str, path: str,
              ids: t.Sequence[str]) -> dict[str, tuple[t.Any, str | None]]:
        """(name, extra column) of the rows ``ids`` of lookup ``path`` (a repeated id: its last)."""
        return {row_id: (name, extra) for row_id, name, extra in self.keyed(
            "SELECT id, name, extra FROM named WHERE account = ? AND path = ? AND id IN (KEYS) "
            "ORDER BY rowid", account, [path, *ids], skip=1)}

    def went_out(self, account: str, interviews: t.Iterable[str]) -> None:
        """Note that ``interviews`` of the account were written in this run."""
        with self.lock:
            self._db.executemany("INSERT OR IGNORE INTO out VALUES (?, ?)",
                                 ((account, interview) for interview in interviews))

    def forget_out(self, account: str) -> None:
        """A new read of the account: none of its interviews is out yet."""
        with self.lock:
            self._db.execute("DELETE FROM out WHERE account = ?", (account,))

    def not_out(self, account: str, interviews: t.Iterable[str]) -> list[str]:
        """Those of ``interviews`` not written in this run, sorted."""
        wanted = sorted(set(interviews))
        out = {row[0] for row in self.keyed(
            "SELECT interview FROM out WHERE account = ? AND interview IN (KEYS)", account, wanted)}
        return [interview for interview in wanted if interview not in out]


def rating_rows(account: str, rows: t.Iterable[dict]) -> t.Iterator[tuple]:
    """Rating rows as the columns of table ``rating``, a row at a time."""
    for row in rows:
        rating = row.get("candidate_attribute_rating")
        yield (account, str(row.get("scorecard_id")), row["id"],
               key(row.get("job_candidate_attribute_id")), key(rating))


def named_rows(account: str, path: str, rows: t.Iterable[dict],
               extra: str | None = None) -> t.Iterator[tuple]:
    """Rows of lookup ``path`` as the columns of table ``named``: id, ``name`` and ``extra``."""
    for row in rows:
        name = row.get("name")
        yield (account, path, str(row["id"]),
               name if name is None or isinstance(name, str | int | float) else str(name),
               None if extra is None else key(row.get(extra)))


def panel_rows(account: str, rows: t.Iterable[dict]) -> t.Iterator[tuple]:
    """Panel rows as the columns of table ``panel``, a row at a time."""
    for row in rows:
        when = changed_at(row)
        yield (account, row["id"], str(row["interview_id"]), key(row.get("user_id")),
               key(row.get("scorecard_id")), None if when is None else micros(when))


@dataclass
class PanelIndex:
    """The account's panel rows (``/v3/interviewers``), read once per run for two streams.

    ``read_at``: when the read started, so that interviews find the panels changed in their
    window without reading the panel rows again.
    """

    scratch: Scratch
    account: str
    read_at: dt.datetime

    def people(self, interviews: t.Sequence[str]) -> dict[str, list[str]]:
        """The user ids on the panels of ``interviews``, in the order they joined (row id)."""
        found: dict[str, list[str]] = {}
        for interview, user in self.scratch.keyed(
                "SELECT interview, user FROM panel WHERE account = ? AND interview IN (KEYS) "
                "AND user IS NOT NULL ORDER BY interview, id", self.account, interviews):
            found.setdefault(interview, []).append(user)
        return found

    def interviews_of(self, cards: t.Sequence[str]) -> dict[str, str]:
        """The interview id of each of ``cards`` (v3 scorecards do not name it): its last row's."""
        found: dict[str, str] = {}
        for card, interview in self.scratch.keyed(
                "SELECT card, interview FROM panel WHERE account = ? AND card IN (KEYS) "
                "ORDER BY card, id", self.account, cards):
            found[card] = interview
        return found

    def changed_not_out(self, start: dt.datetime | None) -> list[str]:
        """The interviews not written in this run whose panel changed since ``start``, sorted.

        ``start`` None: whose panel rows have any change time.
        """
        return [row[0] for row in self.scratch.query(
            "SELECT DISTINCT interview FROM panel WHERE account = ? AND at >= ? AND interview "
            "NOT IN (SELECT interview FROM out WHERE account = ?) ORDER BY interview",
            self.account, -(2**62) if start is None else micros(start), self.account)]
