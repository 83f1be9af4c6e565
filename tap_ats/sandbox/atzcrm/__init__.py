"""ATZ CRM (``/atzcrm/v1/...``) as ATZ documents it, with the gaps filled and written down here.

- Auth: ``Authorization: Bearer <token>``; anything else is ``401 {"message": "Unauthorized"}``.
  Errors are ``{"message": "<text>"}`` (ATZ documents only the words: 400 "Unprocessable Entity",
  401 "Unauthorized"); an unknown slug is ``404 {"message": "... not found"}``.
- ``GET /candidate?page=&limit=``: Laravel-style envelope ``{"current_page", "data",
  "last_page", "per_page", "total"}`` (ATZ's slugs and page/limit read like Laravel; the envelope
  itself is undocumented). ``limit`` is 1 to 100 (default 20); a page past the last is empty.
  Order is by candidate id, oldest first, so new candidates land on the last page. No
  modified-since filter and no sorting by update time are offered (none is documented). A
  candidate's ``updated_at`` moves with a change to one of its applications for three
  candidates in four, and never for the fourth (every candidate id divisible by 4): ATZ does
  not promise that a stage move touches the candidate, and the tap must cope with both.
  A candidate has the fields of ATZ's list page (unused ones null; ``tags`` and ``skill`` are
  strings shaped ``[a, b]``, as documented) plus ``created_at``/``updated_at``, which the page
  as read does not show. With the ``numeric_slugs`` fault (a rate), a seeded share of the
  candidates is named by digits (``900000 + id``), sent as a JSON number in the list (the docs
  say string) and taken as text in the history path; truth names them by that text.
- ``GET /candidate/:slug/history[?job_slug=]``: a bare array, newest first, one row per stage
  event of the candidate on any job, with exactly the documented fields. Each stage visit of an
  application in the world is one row: ``talent_stage.id`` is the job stage id, ``stage_date``
  the UTC date the visit began and ``updated_at`` its exact time (so rows never change once
  written). ``talent_stage`` is a stage of the account's talent funnel, shared by every job:
  its id is the stage's place in the funnel (1 for "Application Review" ...), the same on every
  job. ``job_status`` is the job's status (open "In Progress", closed "Won", draft "On Hold").
- ``GET /job/:slug[?maximize=owner]``: one job with the documented fields (``position_name``,
  ``open_date``, ``close_date``, ..., ``address``; ``tags`` a string); like ATZ's documented
  job, it has no status. Its ``owner`` (ATZ requires ``owner_id`` on every job) is the
  world's recruiter on the job, else its first hiring-team member, else user 1 (the admin):
  the user id, or with ``maximize=owner`` (or ``all``) an object ``{id, slug, full_name,
  email}``.
- ``GET /activity?page=&limit=&sort_by=&sort_order=&activity_type_id=&related_to_entity=
  &related_to=&maximize=``: ATZ's documented activity list, here the world's interviews as
  activities of the inbuilt type 5 "Interview" (nothing else is logged). ``limit`` 1 to 25
  (default 25), ``sort_by`` ``created_at``/``updated_at`` (default), ``sort_order``
  ``asc``/``desc`` (default), ties by id in the same direction; anything else is 400. The
  envelope is Laravel's (``total``, ``per_page``, ``current_page``, ``last_page``,
  ``next_page_url``, ``prev_page_url``, ``from``, ``to``, ``data``). An interview is related
  to its job (``related_to_type`` ``job``) with its candidate as the one candidate attendee
  and its interviewers as user attendees; ``start_date``/``start_time``/``end_time`` are the
  UTC date and ``HH:MM`` clock times (seconds dropped, an end past midnight shows the smaller
  clock time), ``mark_as_done`` is true once complete, ``created_by`` is the organizer (the
  id, or an object with ``maximize=created_by``). Interviews never change once scheduled, so
  ``updated_at`` is their creation time. The list faults (``empty_pages``, ``bad_bytes``,
  ``bad_records``) do not touch it.
- Deletes: ATZ shows none. A deleted application's history stays; hires and rejections that the
  world records without a stage move leave no row (ATZ models them as talent stages).
- Rate limit: 60 requests per 60 s per token, a fixed window (``60 * time_scale`` seconds), only
  when ``rate_limits`` is on: ``429 {"message": "Too Many Attempts."}`` with ``Retry-After``
  (seconds to the window's end, at least 1) and ``X-RateLimit-Limit``/``-Remaining``, as
  Laravel's throttle sends them. ATZ documents no such headers: UNCONFIRMED.
- Paths: each segment is percent-decoded on its own, so a slug sent as one encoded segment
  (``%2F``, ``%3F``, ``%23``, ``%25``, ...) resolves and one sent raw does not.
- Hostile side (see ``faults.py``): with ``reset {"odd_slugs": true}`` candidate and job slugs
  start with ``ODD_SLUGS`` (``/``, ``..``, ``?``, ``#``, ``%``, spaces, non-ASCII). The
  ``empty_pages`` fault cannot hand out a fresh cursor here (pages are numbers), so it keeps
  ``last_page`` honest instead: a page number chosen by a seeded hash of (seed, limit, page) is
  served empty, the next number serves what it should have held, every later page shifts by
  one, and ``last_page`` counts the empty pages (never two in a row, so rate 1 still ends).
  ``repeat_cursor`` and ``foreign_next`` do not apply (no cursor, no link). ``bad_bytes`` and
  ``bad_records`` spoil the first candidate of a list page and the first row of a history
  (history has no date-time field the tap neither keys nor bookmarks on, so only its
  organization slug is served as an integer there).
"""

from tap_ats.sandbox.atzcrm.api import API_TOKEN, AtzCrmAPI
from tap_ats.sandbox.atzcrm.render import ODD_SLUGS, slug

__all__ = ["API_TOKEN", "ODD_SLUGS", "AtzCrmAPI", "slug"]
