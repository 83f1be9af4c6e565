"""Lever's API v1 (https://api.lever.co/v1), one API key per account.

Sources read (December 2026): Lever's reference, hire.lever.co/developer/documentation (API
overview: authentication, rate limits, pagination, confidential data; opportunities, deleted
opportunities, postings, stages, archive reasons, users, sources, offers, interviews, feedback);
its FAQ, hire.lever.co/developer/support ("one archive reason that is common to all accounts:
Hired. Any other archive reason besides Hired means that a candidate was rejected"); and the
public clients that follow it (corbaltcode/lever-data-api-go: the list and deleted-opportunity
parameters; NangoHQ/integration-templates: the offer and opportunity shapes, the per-endpoint
key scopes such as ``opportunities:read:admin``).

- Auth: the API key is the user of HTTP basic auth, the password empty (a header). OAuth
  client credentials are not implemented yet: a key is what a data team has.
- Pages: ``limit`` (1 to 100) and the ``offset`` token from ``next``, while ``hasNext``;
  ``{"data", "hasNext", "next"}``.
- Incremental: ``/opportunities`` with ``updated_at_start`` (milliseconds, inclusive) from the
  bookmark, less ``lookback_window``; the bookmark is the time the read started. Then
  ``/opportunities/deleted`` with ``deleted_at_start`` from the same time: each becomes an
  application row with ``deleted_at`` (and ``_sdc_deleted_at``), its other columns null (Lever
  gives the id and the time only). What hangs under a deleted opportunity is gone from the API
  (404): its stage rows, offers, interviews and feedback get no delete, and the models drop them
  through their application.
- Read in full on every run, as Lever filters none of them by change time: ``/postings``,
  ``/stages``, ``/archive_reasons``, ``/users`` (``includeDeactivated=true``) and ``/sources``:
  one request each when they fit a page, which is what a run that finds nothing new costs beside
  the two opportunity lists.
- Per opportunity only: offers, interviews and feedback are read under
  ``/opportunities/<id>/...`` for each live opportunity the applications read found changed
  (a page of them at a time), never for all of them.
- Applications: an opportunity is one candidate's (contact's) application to the posting of its
  ``applications[0]`` (``expand=applications``, no extra request); ``current_stage_name`` from
  ``expand=stage``. ``archived.reason`` is the ``rejection_reason_id``; the account's archive
  reasons are looked up once per run on the first archived opportunity: one of type ``hired``
  makes the application ``hired`` (Lever's hire signal), any other ``rejected`` with its text as
  ``rejection_reason`` and ``archivedAt`` as ``rejected_at``. ``status_raw`` is the reason's type.
  ``source`` is the first of ``sources``.
- ``application_stages``: native, from ``stageChanges`` (``toStageId``, ``updatedAt``): the n-th
  change is row ``<opportunity>:<n>``, entered at its ``updatedAt`` and left at the next one's.
- ``candidates``: the opportunity's contact (Lever lists no contacts), derived at no request's
  cost: ``name`` split at the first space, ``emails``, ``phones``, ``headline`` as company,
  ``tags``.
- ``jobs``: postings (state published and internal are open, closed, draft and pending
  draft, rejected closed); Lever's posting has no open or close time. ``job_stages``: Lever's
  stages belong to the account, not a posting: ``job_id`` is null and ``order`` is the place in
  ``/stages``, which lists them in pipeline order.
- ``offers``: statuses draft, approval-sent and approved are drafts; sent, sent-manually and
  opened are sent; signed accepted; denied declined. ``starts_at`` is the
  ``anticipated_start_date`` field; ``custom_fields`` the offer's ``fields`` by identifier (the
  only custom fields Lever's read API carries). Lever keeps one offer per opportunity, so
  ``version`` is null.
- ``interviews``: no status in Lever; canceled, else scheduled until it ends, then complete.
  ``scorecards``: feedback forms; the ``score-system`` field is the overall recommendation.
- ``rejection_reasons``: archive reasons, ``type_raw`` hired / non-hired (``type`` null for
  non-hired: Lever does not say who ended it); served from the applications' lookup of them
  when it was read (:mod:`tap_ats.served`), so the list is read once a run. ``sources``:
  ``{text, count}``, id the hash of the text (as ``applications.source_id``). Tags are on
  candidates; requisitions, departments, offices, hiring teams, demographics (EEO) and custom
  field definitions are not read.
- Confidential data: postings and opportunities are asked with ``confidentiality=all``; Lever
  returns confidential ones only to a key allowed to access confidential data, so a key without
  it reads the rest, silently.
- Scopes: Lever's API keys are scoped per endpoint; a 403 skips that stream of the account with
  one warning naming the endpoint, its bookmark kept. A key refused the archive reasons still
  reads applications, their names and hire status left null, with one warning; one refused
  ``/opportunities/deleted`` reads them without deletes, with one warning.
- Rate limit: 10 requests a second per key (bursts to 20): ``max_requests_per_minute`` defaults
  to 600; a 429 waits ``Retry-After`` when given, else backs off.
- Errors: ``{"code", "message"}``, shown in the one line.
"""

from tap_ats.providers.lever.client import Lever

__all__ = ["Lever"]
