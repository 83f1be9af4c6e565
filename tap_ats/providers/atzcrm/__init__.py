"""ATZ CRM (``https://api.atzcrm.com/v1``): candidates, their stage history, and what it yields.

Behaviour choices (ATZ documents little beyond the fields; the sandbox behaves the same way):

- Auth: ``Authorization: Bearer <api_token>``; one token is one account (``account_id`` setting,
  default ``atzcrm``). Errors carry ``{"message": ...}``; 401 fails fast naming ``api_token``.
- ``GET /candidate?page=&limit=``: page numbers from 1, ``limit`` at most 100 (the tap's
  ``page_size``), Laravel-style envelope ``{"current_page", "data", "last_page", "per_page",
  "total"}``; the last page is the one where ``current_page >= last_page``. ATZ has no
  modified-since filter and no documented sort by update time, so every run lists every
  candidate (no early stop).
- ``GET /candidate/:slug/history``: one un-paged array per candidate. For each page of candidates,
  the histories are read overlapped (:mod:`tap_ats.overlap`: up to ``max_concurrency`` at once
  when the API is slow enough for that to pay) through the same pacer and retry path as every
  other request; only the main thread writes Singer messages. A 404 (candidate removed meanwhile)
  is read as an empty history, counted, and reported in one WARNING per run; more than 5% of the
  listed candidates (and at least 10) answering 404 is an API change, not deletions: the account
  fails naming the path, its bookmark and slice kept.
- ``GET /job/:slug?maximize=owner``: each job with a new row in the histories read is read once
  per run and yields ``jobs`` and ``job_hiring_team`` (its owner, see :class:`JobHiringTeam`);
  these reads run concurrently too (for a slice candidate: a row of the last two refresh
  periods; older jobs were read when their rows were new). ATZ's job read does not carry a status:
  ``jobs.status``/``status_raw`` come from the ``job_status`` of the job's latest history row
  read in the run, when the job read lacks one.
- Ids are slugs. A history row has no id in ATZ, so the tap builds one from what identifies the
  row, the n-th stay of the candidate's application in a talent stage:
  ``<candidate slug>:<job slug>:<talent_stage id>:<n>`` (n from 1, in visit order). It leaves
  out what a recruiter can edit (comment, visibility, ``updated_at``), so an edited row is
  upserted in place rather than written again beside the old one; a derived application is
  ``<candidate slug>:<job slug>``; its ``application_stages`` rows (``origin=derived``) reuse the
  history row ids; ``jobs.stages`` is null.
- Job stages: ATZ's talent stages belong to the account's talent funnel, shared by every job,
  so ``job_stages`` has one row per talent stage (id = talent stage id) with ``job_id`` null:
  a row's key and ``job_id`` never depend on which job a run meets first. ``order`` is the
  median (low) 0-based position of the stage in the applications' histories read so far in the
  run (how candidates actually move; ATZ lists no funnel order we could read); ``active`` is
  unknown (null). The rows of stages met on a page are emitted with that page.
- Stage visits: rows of one application are ordered by ``(stage_date, updated_at)``;
  ``entered_at`` is the row's ``stage_date`` (the date the recruiter gave the move, which ATZ
  lets them set) at 00:00 UTC, ``exited_at`` the next row's, ``is_current`` the last row. The
  application's ``applied_at`` is the first row's date, ``updated_at`` the latest row's
  ``updated_at``, its current stage the last row's, and ``status`` comes from the stage name
  (placed/hired, rejected/declined/withdrawn), else ``active``; ``status_raw`` is that name.
- Incremental: ATZ has no change filter, so every run lists every candidate (cheap: 100 a
  page), but reads the history only of
  (a) candidates whose list row changed (``updated_at`` at or after the bookmark less
  ``lookback_window``): their history rows from that time on are emitted, with everything
  derived from their changed applications; and
  (b) a rotating slice of the list, so that every candidate's history is re-read within
  ``atzcrm_full_refresh_days`` (default 7) even if a history change never touched the
  candidate's ``updated_at`` (ATZ's docs do not promise it does). The slice is the next
  ``ceil(total * elapsed / period)`` list positions after the previous slice (elapsed = time
  since the previous sync started; daily runs read ``ceil(total / 7)``); everything of a
  slice candidate is emitted again (upserts make that harmless).
  The first sync (no bookmark) reads every history, and so does any run with
  ``atzcrm_full_refresh_days: 0``. State per account: the bookmark, ``history_slice`` (the
  list position the next slice starts at) and ``history_slice_at`` (when this slice was
  planned), all written only after every row of the run is out, so a run killed at any point
  repeats its slice and loses nothing. Trade-off: a history
  change that leaves the candidate's ``updated_at`` alone reaches the warehouse within the
  period, not at the next run; to force a full re-read, run once with
  ``atzcrm_full_refresh_days: 0`` (or clear the state). A candidate deleted in ATZ shifts the
  list positions after it, so a candidate can miss one period's slice (it is read in the next).
- ``GET /activity``: interviews, newest change first, down to the bookmark (:class:`Interviews`;
  docs.atzcrm.com, endpoints/activities: show-all-activity, get-activity, add-activity).
- Not offered, for want of anything in ATZ's documented API to read them from: offers,
  departments, offices, rejection reasons, sources, scorecards, demographics, users (only
  embedded ``updated_by``/owner/creator objects) and custom field definitions; ``custom_fields``
  stays null (ATZ documents custom fields only as ``{id, value}`` on writes).
- What ATZ's docs do not show, though the tap reads it (``tests/fixtures/atzcrm/`` holds the
  published examples; README "Where each column comes from" maps every column): the candidate
  list's envelope and a candidate's ``created_at``/``updated_at`` (the list page's field list,
  as read, ends at ``graduation_date``), and a job's ``owner``, ``created_at``, ``updated_at``
  and ``job_status`` (the job page's ends at ``address``). ``tags`` is documented as a string
  shaped ``[frontend, developer]``: it is split on commas (a list is read too). A candidate
  ``slug`` documented as a string but sent as a number is read as its text, and the run counts
  them in one WARNING. Activities are read with ``maximize=created_by,updated_by``, the shape
  ATZ's activity pages show.
- Deletes: ATZ shows none (webhooks are its only delete signal), so ``deleted_at`` stays null.
- Rate limit: 60 requests per 60 s per token; the default budget is 60 requests/minute, paced
  with a 2% margin. The first sync costs ``ceil(N / 100)`` list pages + ``N`` history calls +
  one call per distinct job + ``ceil(I / 25)`` pages of the ``I`` interviews (about three
  hours for 10,000 candidates). A daily run then costs ``ceil(N / 100)`` pages + changed
  candidates + ``ceil(N / 7)`` history calls + one call per job met + the interview pages
  changed since the bookmark (one, mostly): at 10,000 candidates and 1% changed, at most
  100 + 100 + 1,429 history-side calls instead of 10,100.
"""

from tap_ats.providers.atzcrm.client import AtzCrm

__all__ = ["AtzCrm"]
