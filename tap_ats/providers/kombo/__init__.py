"""Kombo's unified ATS API (``/v1/ats/...``).

- Auth: ``Authorization: Bearer <api_key>`` plus ``X-Integration-Id`` per integration; each
  integration in ``integration_ids`` is one account (its own state partition).
- Pages: ``page_size`` (max 250) and ``cursor`` from ``data.next``; Kombo wants the same filters
  on every page, so every request repeats them.
- Incremental: ``updated_after`` also matches nested changes that leave ``changed_at`` alone,
  so the next bookmark is the time the integration's sync started (Kombo's own guidance), less
  ``lookback_window`` on the next run. Every list endpoint read here (applications, jobs,
  interviews, candidates, users, offers, rejection-reasons, scorecards) takes the same
  ``updated_after``, ``include_deleted``, ``cursor`` and ``page_size``.
- Deletes: ``include_deleted=true`` always; ``remote_deleted_at`` becomes ``deleted_at``.
- Stage history: Kombo exposes only the current stage, so ``application_stages`` rows are
  observed from each application read (``origin=observed``); ``job_stages`` are flattened from
  ``jobs[].stages`` (``remote_id`` and ``raw`` from that stage object itself). Neither costs a
  request. Names come from the nested objects of the same record: ``current_stage.name``,
  ``rejection_reason_name``, the interview's ``application.job.id`` and ``users[].id``. A job
  stage's order is its ``stages[].index``, else the ``current_stage.index`` an application in
  that stage reports (Kombo may leave the former out, never the latter).
- The shape is Kombo's own models' (the ``kombo`` SDK, generated from Kombo's OpenAPI), which
  judge the sandbox in ``tests/test_kombo_contract.py``; the README's table "Where each column
  comes from" lists each column's field and is checked against them. An application also
  carries its ``interviews`` and ``offers``, with too little to spare ``/ats/interviews`` or
  ``/ats/offers`` (no stage, panel, times or start date), so both are still read.
- ``users``: ``GET /ats/users`` (``first_name``, ``last_name``, ``email``, ``status``
  ACTIVE/INACTIVE). Kombo's user has no creation time, so ``created_at`` stays null.
- ``offers``: ``GET /ats/offers``. Status DRAFT and APPROVED (approved, not yet sent) are
  ``draft``, SENT ``sent``, ACCEPTED ``accepted``, DECLINED ``declined``, ABANDONED
  ``deprecated`` (no longer in play), anything else ``other``; ``status_raw`` keeps Kombo's
  word. ``job_id`` and ``candidate_id`` come from the nested ``application``; ``starts_at``
  from ``employment_start_date``. Kombo's offer has no version, sent or resolved time: those
  stay null.
- ``rejection_reasons``: ``GET /ats/rejection-reasons`` gives ``name`` only, no type, so
  ``type`` and ``type_raw`` stay null rather than guessed from the name.
  ``applications.rejection_reason_id`` is looked up by ``rejection_reason_name`` (Kombo's
  application carries no reason id) in the integration's full rejection-reason list, read once
  per run on the first rejected application; a key that may not read that list leaves the
  column null with one warning per integration, and the applications are still read. That read
  (deleted rows included) also serves the ``rejection_reasons`` stream (:mod:`tap_ats.served`).
- ``departments`` and ``offices``: Kombo has no such endpoints; a job carries one
  ``department`` string and one ``location`` object. Both streams are derived from the jobs
  read (no request), one row per distinct name, with ``id = name_id(name)`` (a stable hash of
  the name, as Kombo gives no id): the department string; the location's ``city``, else its
  ``raw`` text (``location`` is ``raw``, else city, state and country joined). ``parent_id``,
  ``external_id`` and the times stay null: Kombo carries none. ``jobs.department_ids`` and
  ``office_ids`` hold the same ids.
- ``sources``: derived from ``applications[].candidate.source`` (Kombo keeps the source on the
  candidate, and the application embeds its candidate), ``id = name_id(name)``; ``type``
  stays null. ``applications.source`` and ``source_id`` are filled from the same string.
- ``job_hiring_team``: from ``jobs[].hiring_team``, one row per user and role: ``job_roles``
  (their ``unified_type`` HIRING_MANAGER/RECRUITER/COORDINATOR/SOURCER, anything else
  ``other``; ``role_raw`` is the ATS's ``remote_label``), else the deprecated
  ``hiring_team_roles``. A role of none of the four kinds is one row each, its id ending in
  ``other:<digest>`` of the role's type, label and remote id (all three may be null). A member
  removed from a team has no delete signal: only a deleted job's rows get ``deleted_at``.
- ``scorecards``: ``GET /ats/scorecards``. ``interviewer_id`` is ``author_id``,
  ``submitted_at`` ``remote_created_at`` (Kombo has no submission time of its own), ``job_id``
  stays null (join applications). The overall recommendation is the single-select response
  without a ``remote_id`` (Kombo: the headline rating kept outside the rubric), normalised
  from its label; ``ratings`` are the other non-text responses as labelled. Free-text
  responses are notes: in ``notes`` and ``raw`` only with ``include_scorecard_notes``.
- ``demographics`` is not offered: Kombo marks EEO questions only on a job's
  ``screening_questions`` (``category: EEO``); an application's answers carry no category and
  Kombo documents no way of reading EEO answers, so race, gender, veteran and disability could
  only be guessed from question titles.
- ``custom_fields`` on applications, candidates, jobs and offers: Kombo's ``custom_fields``
  object as it is. ``custom_field_definitions`` is not offered here (Kombo lists definitions
  per integration outside the ATS model).
- Not filled, because Kombo's objects do not carry them: ``interviews.organizer_id`` and a
  status beyond ``canceled``.
- Rate limit: none is published for reads; ``max_requests_per_minute`` paces each integration
  if set, and 429s are retried after ``Retry-After``.
- Errors: Kombo's ``error.code`` decides whatever the HTTP status (:mod:`.errors`): a model the
  integration lacks, has disabled or may not read skips the stream; a first sync still running
  (``INTEGRATION.SETUP_SYNC_PENDING``) skips the integration for the run, bookmarks kept; rate
  limits retry as a 429, ``REMOTE.SERVICE_UNAVAILABLE`` and ``PLATFORM.TASK_TIMED_OUT`` as a
  503; an inactive, unknown or disconnected integration fails alone, saying what to do in
  Kombo.
- Kombo by default only syncs applications created through Kombo: turn off "Only Sync Created
  Applications" in the Kombo dashboard to read every application.
"""

from tap_ats.providers.kombo.client import Kombo

__all__ = ["Kombo"]
