"""Merge's ATS API (``/api/ats/v1/...``), many linked accounts in one run.

- Auth: ``Authorization: Bearer <api_key>`` plus ``X-Account-Token`` per linked account. Each token
  in ``account_tokens`` is one account; at start the tap asks ``GET /ats/v1/account-details`` which
  linked account it is, and that id (never the token) is the record's ``account_id`` and the
  state partition. ``account_shard`` splits the tokens by a one-way key of each (``Merge`` says
  why and at what cost), kept as ``shard_key`` beside the account's bookmarks.
  The tokens stay in memory only: not in state, records, logs or URLs.
- A token that is refused (401, 403, 404) or whose account keeps failing (5xx after retries) is
  reported as "account token #N" and left out; the other accounts are read and the run exits 3
  at the end. A refused ``api_key`` fails every token and ends the run on one line. A host that
  cannot be reached at all ends the run at once: every token would meet the same host.
- Linked-account status (account-details ``status``): ``RELINK_NEEDED`` and ``INCOMPLETE`` fail
  that account alone, named by its id, on one line saying what to do in Merge (relink it through
  Merge Link; finish linking or drop the token). Merge keeps serving what it synced before a
  relink was needed, so reading it would end the run 0 on data that stopped changing.
  ``COMPLETE``, ``IDLE`` and any status Merge adds later are read.
- Scopes: a Common Model disabled in a linked account's scopes makes its list answer 403 (or
  404); that stream of that account is skipped with one warning naming the model to enable, its
  bookmark kept, the rest read.
- Shapes: Merge's SDK models are the judge (``tests/test_merge_contract.py``). A related object
  may be an id or, with ``expand``, the object: every id column is read either way; a Job's
  ``hiring_managers`` and ``recruiters`` may hold nulls and repeats, so ``job_hiring_team`` keeps
  one row per (user, role) and none for a null.
- Pages: ``page_size=100`` (Merge's maximum; its default is 30) and ``cursor`` from ``next``;
  Merge wants the same filters on every page, so every request repeats them.
- Names in the same request: applications ask ``expand=current_stage,reject_reason``, so
  ``current_stage_name`` (and the observed rows' ``stage_name``) and ``rejection_reason`` (the
  RejectReason's name) come with the page; interviews ask ``expand=application`` for their
  ``job_id``. No extra request; the id columns still hold the related objects' ids. Merge's
  ScheduledInterview has no title, and its Job no open/close dates: those stay null.
- Users: ``/users`` (RemoteUser), incremental like every stream; ``active`` is ``not disabled``;
  its ids are the ``organizer_id`` and ``interviewer_ids`` of interviews.
- Columns: ``created_at`` is the ATS's ``remote_created_at`` where the model has one, else
  Merge's ``created_at`` (when Merge first saw the record); ``updated_at`` is ``modified_at``.
  Applications are ``rejected`` when ``rejected_at`` is set, else ``active``: Merge gives no
  hire flag on an application. Interview ``status`` maps Merge's three values and a passed-
  through cancellation; any other passed-through value is ``other`` (kept in ``status_raw``).
- Incremental: ``modified_after`` filters on ``modified_at``, the time *Merge* last changed its
  copy (its sync time, not the ATS's), so the next bookmark is the time that account's read
  started (Merge's own guidance), less ``lookback_window`` on the next run.
- Deletes: ``include_deleted_data=true`` always; ``remote_was_deleted`` becomes ``deleted_at`` (the
  record's ``modified_at``) and ``_sdc_deleted_at``.
- Stage history: Merge exposes only ``current_stage``, so ``application_stages`` rows are observed
  from each application read (``origin=observed``), at no request's cost.
- Analytics streams: ``/offers`` and ``/scorecards`` (with ``expand=application`` for their job
  and candidate), ``/departments``, ``/offices``, ``/reject-reasons`` and ``/eeocs``
  (demographics, opt-in) are read like every list; ``sources`` (hash of the application's
  ``source`` string: Merge has no Source model) and ``job_hiring_team`` (the Job's
  ``hiring_managers`` and ``recruiters``) are derived at no request's cost. What Merge's models
  lack stays null: offer version, department and office parents and codes, reject reason type,
  scorecard ratings and notes, the application of an EEOC (Merge ties it to a candidate).
  Offer statuses: Merge does not define them; the mapping (approval states are drafts, OPENED
  and SENT-MANUALLY are sent, DENIED is declined) is the careful reading, ``status_raw`` keeps it.
- Custom fields: Merge Field Mapping values, in every response without a parameter
  (``field_mappings``: organization targets, then the linked account's, which win on a clash).
  Merge's ``/field-mappings`` describes mappings, not the ATS's field definitions, so
  ``custom_field_definitions`` is not offered.
- Rate limit: per linked account per minute (Launch 100, Professional 400, Enterprise 600):
  ``max_requests_per_minute`` (default 100) paces each account, its account-details lookup
  included; accounts are read concurrently (``max_concurrency``), and a 429 waits
  ``Retry-After`` when given, else backs off.
"""

from tap_ats.providers.merge.client import Merge

__all__ = ["Merge"]
