"""Greenhouse Harvest API v3 (``https://harvest.greenhouse.io/v3/...``).

- Auth: OAuth2 client credentials. ``POST token_url`` (default ``auth.greenhouse.io/token``)
  with HTTP Basic ``client_id:client_secret`` and ``grant_type=client_credentials&sub=<user_id>``;
  the token is fetched once per run, shared by every stream (held by the provider's
  authenticator, under a lock), refreshed a minute before ``expires_at`` and once after a 401.
  A second 401 in a row is fatal, naming the settings and the Site Admin requirement. A refused
  client or grant (400/401 from the token endpoint) stops the run at its first request with one
  line naming the settings.
  ``user_id`` must be a Site Admin: every v3 list endpoint requires it.
- Account: one per run, labelled by ``account_id`` (default ``greenhouse``).
- Pages: ``per_page`` (max 500) and the ``updated_at`` window on page 1 only; every next page
  is the ``Link: rel="next"`` URL requested exactly as given, since a ``cursor`` sent with any
  other parameter is refused (422).
- Incremental: results come id-descending, not by time, so each account reads the closed window
  ``updated_at=gte|<bookmark - lookback>|lte|<sync start>`` and the next bookmark is that sync
  start; a change made during the read falls in the next window. A FULL_TABLE stream sends no
  window at all (with ``emit_activate_version_messages`` a target purges what is gone).
- Deletes: v3 shows none (no ``deleted_at``, no deleted filter); a deleted record is simply
  absent, so ``deleted_at`` is always null. Run FULL_TABLE with activate-version to purge.
- Requests: every list is read once per run. A lookup is read whole (``per_page=500``, no
  window: a changed row's lookup rows need not have changed with it) once per run and account,
  on the first page that needs it. A list that is a lookup and a stream at once
  (``/v3/job_interview_stages``, ``/v3/sources``, ``/v3/rejection_reasons``) serves both from
  that one read: the stream, synced after the stream that needed the lookup, emits the rows of
  its window from it and takes the read's start as its bookmark; it reads its own window only
  when the lookup was not needed in the run (or was refused or gave up). The lookups that grow
  with the tenant (panels, job interviews, attribute ratings and names) go, as they are read,
  to a temporary SQLite file deleted when the run ends, and each page asks it for its own rows
  (``scratch.py``): 265 MB peak at 1,000,000 applications, where holding them took 1.36 GB.
- Stage names: ``application_stages`` rows and ``jobs[].stages`` are resolved from one read of
  ``/v3/job_interview_stages`` per run, made only when a page of those streams has records
  (inactive stages are included, so old rows still resolve). ``application_stages.candidate_id``
  stays null (the row does not carry it).
- Interviews: v3 puts no panel, title or stage on an interview, only ``job_interview_id``. On
  the first page of interviews that has records, the account's panels (``/v3/interviewers``)
  and job interviews (``/v3/job_interviews``: ``name`` is the title, ``job_interview_stage_id``
  the stage) are read in full, once per run: ``ceil(interviewers / 500) + ceil(job interviews /
  500)`` requests, paced like every other. Read in full, not by window: a changed interview's
  panel rows need not have changed with it. A panel change need not touch the interview's
  ``updated_at`` either, so every incremental run finds the panel rows changed in the
  interviews' window, in that full read when it was made (it started after the window's end),
  else by reading ``/v3/interviewers`` in the window (one request when little changed), and
  reads the interviews they name that were not out yet by ``ids`` (``ceil(n / 50)`` requests).
  ``/v3/job_interviews`` mirrors v1's job interviews; Airbyte's v3 connector (below) now lists
  it with these fields.
- Users: ``/v3/users``, incremental like every stream; ``active`` is ``not deactivated``; ids
  are the ``organizer_id`` and ``interviewer_ids`` of interviews. The address is v3's
  ``primary_email`` (v1 spelled it ``primary_email_address``; either is read).
- Applications: ``status`` ``in_process`` is ``active``. v3 gives ``source_id``; a rejected
  application's ``rejection_reason_id`` is on its ``/v3/rejection_details`` row, read in the
  applications' window on their first page with records (and by ``application_ids``, 50 a
  request, for one rejected before the window and changed in it). The ``source`` and
  ``rejection_reason`` names come from one read of ``/v3/sources`` and of
  ``/v3/rejection_reasons?include_defaults=true`` per run, made on the same page (without
  ``include_defaults`` Greenhouse leaves out its own default reasons, which applications still
  point at).
- Custom fields: applications, candidates, jobs and offers carry ``custom_fields`` keyed by the
  field's ``name_key``, each ``{name, type, value}``; the unified ``custom_fields`` is key ->
  ``value`` (every active field of that object appears, null when unset). A value that is not
  such an object (v1's flat map) is kept as it is. ``custom_field_definitions`` is
  ``/v3/custom_fields``: ``name_key`` is ``key``, ``field_type`` (the object: job, candidate,
  application, offer, opening, ...) is ``object_type``, ``value_type`` is ``field_type``
  (``yes_no`` as ``boolean``, the rest as Greenhouse words them); ``options`` are the active
  choices of a select field from one read of ``/v3/custom_field_options`` per run (v1 listed them
  inline as ``custom_field_options``, which is used when present).
- Jobs: ``department_ids`` is v3's single ``department_id`` as a list (v1's ``departments[].id``
  when given), ``office_ids`` its ``office_ids``.
- Offers: ``/v3/offers``; every version is its own offer (``version`` counts them). Status:
  ``Created`` (v1 ``unresolved``) is ``sent`` once ``sent_on`` (v1 ``sent_at``) is set, else
  ``draft``; ``Accepted``, ``Rejected`` (declined or withdrawn) and ``Deprecated`` (superseded)
  are ``accepted``, ``declined`` and ``deprecated``; matched case-insensitively, so both
  spellings read. ``sent_at`` and ``starts_at`` are dates (``sent_on``, ``starts_on``) as
  midnight UTC.
- Departments, offices, sources, rejection reasons: ``/v3/departments`` (``parent_id``,
  ``external_id``), ``/v3/offices`` (``location`` a string in v3; v1's ``{name}`` is read too),
  ``/v3/sources`` (``type`` is the sourcing strategy's name, e.g. ``Agencies``, ``Referral``), and
  ``/v3/rejection_reasons?include_defaults=true``: ``type.key`` ``WE_REJECTED_THEM`` is
  ``we_rejected``, ``THEY_REJECTED_US`` ``candidate_withdrew``, ``NONE_SPECIFIED`` and
  ``SECURITY_CONCERN`` ``other`` (v1 gives only ``type.name``, "We rejected them", "They
  rejected us", "None specified", matched the same way); ``type_raw`` is ``type.name``. All four
  take the ``updated_at`` window in v3, so they are incremental like every stream.
- Hiring team: v3 has no ``/jobs/{id}/hiring_team``; it splits the team over
  ``/v3/job_hiring_managers`` (``job_id``, ``user_id``) and ``/v3/job_owners`` (``type``
  ``recruiter``, ``coordinator`` or ``sourcer``). ``job_hiring_team`` reads both, one after the
  other, in one window (the last page of the first list leads to page 1 of the second), so one
  bookmark covers both. Either list refused skips the stream with its bookmark kept (a team
  missing a role would otherwise stay so once the bookmark moved). ``id`` is
  ``<job_id>:<user_id>:<role>``; a row lacking any of the three (an owner's ``type`` may be
  null) is ``job_hiring_managers:<row id>`` or ``job_owners:<row id>``, so that no two rows
  share an id. A member removed from a team is simply absent afterwards.
- Scorecards: ``/v3/scorecards``. ``candidate_rating`` (v1 ``overall_recommendation``) is the
  recommendation; ``definitely_not`` (v1, and v3's per-attribute scale) and ``strong_no`` are
  ``strong_no``. v3 puts no ``interview_id``, ``candidate_id`` or ``job_id`` on a scorecard:
  ``interview_id`` comes from the account's panel rows (``/v3/interviewers``, whose
  ``scorecard_id`` names it; the same one read per run that interviews use), ``candidate_id`` and
  ``job_id`` stay null (join ``application_id`` to applications). ``ratings`` are
  ``/v3/scorecard_candidate_attributes`` (a rating row need not change with its scorecard, so
  it is never read by window): on a read without a bookmark (a first sync, FULL_TABLE), whose
  window holds most scorecards, the whole list once (``ceil(ratings / 500)`` requests, kept on
  disk as (attribute id, rating) pairs by scorecard id); with a bookmark, whose window holds the few
  that changed, by ``scorecard_ids`` (50 a request, ``ceil(n / 50)`` per page of ``n``), so a
  scorecard changed alone still gets its unchanged ratings. Names come from one read of
  ``/v3/job_candidate_attributes`` per run; ``rating`` is Greenhouse's word
  (``definitely_not``, ``no``, ``mixed``, ``yes``, ``strong_yes``, ``no_decision``). ``notes``
  is v3's ``notes`` (key take-aways), only with ``include_scorecard_notes``; without it every
  notes field is also dropped from ``raw``.
- Demographics: ``/v3/eeoc`` (row-level EEOC answers, ``harvest:eeoc:list``), off unless
  selected. Each answer is ``{id, description}``; the column holds the description as
  Greenhouse words it ("Asian", "I don't wish to answer", ...). Windowed on ``updated_at``, which
  the v3 reference lists for ``/v3/eeoc`` (Airbyte still cursors this one on ``submitted_at``).
- Sources of the v3 shapes above: the field descriptions of Airbyte's Harvest v3 connector
  (``airbytehq/airbyte``, ``source-greenhouse/manifest.yaml``, taken from the v3 reference, and
  its ``AGENTS.md`` for which endpoints take ``updated_at``) and a field inventory of the v3
  reference (``sam-vangelos/greenhouse-mcp``, ``v3-endpoint-inventory.md``); v1 spellings from
  ``grnhse/greenhouse-api-docs``. ``/v3/job_candidate_attributes`` appears only in the
  inventory and is UNCONFIRMED; so are ``include_defaults`` on v3 (it is documented for v1) and
  the offer status ``Created`` meaning both a draft and a sent offer (only ``sent_on`` tells them
  apart).
- Where v3 differs from v1: an application names no rejection reason (v1's did); the reason is on
  its ``/v3/rejection_details`` row, one per rejected application. Its ``stage_id`` is the id of
  its stage visit, not of a job interview stage (the reference's ``stage_ids`` filter says so), so
  ``current_stage_id`` is the job's interview stage named ``stage_name``. Everything the tap reads
  is in the reference's examples: ``tests/fixtures/greenhouse/`` holds one per endpoint (keys and
  types of each reference page, our values), and README "Where each column comes from" maps every
  column to its path. The v1 spellings still read as fallbacks (``departments``, ``offices``,
  ``overall_recommendation``, ``primary_email_address``, ``sent_at``, ``starts_at``, inline
  ``custom_field_options``) are not in v3's examples.
- Rate limit: header-driven. After each response the remaining requests of the window
  (``X-RateLimit-Remaining``) are spread over the time left to ``X-RateLimit-Reset``; at zero
  the next request waits for the reset. A 429 waits ``Retry-After``. ``max_requests_per_minute``
  adds a fixed cap if set.
"""

from tap_ats.providers.greenhouse.provider import Greenhouse

__all__ = ["Greenhouse"]
