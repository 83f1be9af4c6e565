"""Ashby's public API (``https://api.ashbyhq.com``), one organisation per API key.

What Ashby documents (developers.ashbyhq.com: "Introduction", "Pagination and Incremental
Synchronization", "Syncing Records", the changelog entry "Reject Deep Pagination on Incremental
Sync" of 2026-05-14, and the reference pages of each endpoint):

- RPC style: every endpoint is ``POST /<category>.<method>`` with the parameters in a JSON body
  and ``Content-Type: application/json``. Auth: basic, the API key as user and an empty password
  (``requests``' ``HTTPBasicAuth``: a header, never the URL). The key is the ``api_key`` setting;
  the organisation is one account, ``account_id`` (default ``ashby``).
- Answers: ``{success, results, moreDataAvailable, nextCursor, syncToken}``. Paged lists take
  ``limit`` (at most 100, the default here) and ``cursor`` (the last ``nextCursor``) and go on
  while ``moreDataAvailable`` is true.
- Incremental: an endpoint whose request schema has ``syncToken`` returns one on the last page
  of a pass; sent on the next run, the pass lists only what changed since. Read here with one:
  ``application.list``, ``candidate.list``, ``job.list``, ``interviewSchedule.list``,
  ``offer.list``, ``user.list`` (the changelog's "Fix user.list Rejecting Null Cursor and
  SyncToken"), ``customField.list`` and ``applicationFeedback.list``. The token is kept per
  account and stream in the partition's state (``sync_token``, beside the bookmark, which is
  the read's start time as for every provider) and only after the pass was read in full: a
  failed or partial read keeps the old one. A token Ashby no longer takes
  (``sync_token_expired``, or ``incremental_sync_too_large``, whose documented remedy is the
  same) means one full read of that stream, logged as a WARNING, not a failure; its last page
  gives the new token.
  ``start_date`` is not sent: Ashby's lists filter by creation only (``createdAfter`` on some),
  so the first run reads everything, which is also how its first sync token is made.
- Lists without a token are read in full on every run, one request each when they fit on a
  page: ``department.list``, ``location.list``, ``source.list``, ``archiveReason.list``
  (``includeArchived: true``: old applications point at archived entries). A run with no change
  makes one request per list, the least Ashby's API allows to say nothing changed.
- Errors: ``success: false`` with ``errors`` and ``errorInfo {code, message}``; Ashby words the
  code, and the body decides whatever the HTTP status (an error answered with 200 is still an
  error: never an empty page). A permission code (``missing_endpoint_permission``) or a 403
  skips that stream of the account with one warning naming the key's missing module permission
  (``candidatesRead``, also ``application.listHistory``'s and ``applicationFeedback.list``'s,
  ``jobsRead``, ``interviewsRead``, ``hiringProcessMetadataRead`` as Ashby's endpoint pages name
  them; ``offersRead`` and ``organizationRead`` for offers, users, departments and locations
  are our reading): Ashby grants API keys permissions per module. A 401 stops the run (one key
  serves everything). 429 and 5xx are retried, honouring ``Retry-After``.
- Not documented, so chosen as a careful integrator would, and the sandbox behaves the same:
  the rate limit (none found: ``max_requests_per_minute`` paces if set); how long a sync token
  lives (expiry is handled whenever it comes); deletes: Ashby's objects carry no deletion flag
  and its sync answers name no removed record, so a deleted application just stops appearing
  and its rows stay in the warehouse unmarked (as Greenhouse's); ``deleted_at`` stays null.

Streams:

- ``applications`` (``application.list``): ``status`` Active -> active, Hired -> hired,
  Archived -> rejected, Lead -> other (``status_raw`` keeps Ashby's word); ``rejected_at`` is
  ``archivedAt``; ``rejection_reason`` and ``_id`` the nested ``archiveReason``; ``source`` and
  ``source_id`` the nested ``source``; ``current_stage_*`` the ``currentInterviewStage``.
- ``application_stages``: native (``origin=native``), ``application.listHistory`` of each
  application that ``application.list`` returned in this run: one request per changed
  application (every one on a full read, none when nothing changed); one row per history
  event, its ``id`` the event's. See :mod:`~tap_ats.providers.ashby.history` for what Ashby
  documents of it, what is our reading, and how a refused or failed read ends.
- ``jobs`` (``job.list``) with their ``stages``: each job read asks ``interviewStage.list`` for
  its ``defaultInterviewPlanId`` (un-paged), so a full run costs one request per job and an
  incremental one only per changed job; ``job_stages`` are those stages and
  ``job_hiring_team`` the job's ``hiringTeam`` (role Hiring Manager, Recruiter, Recruiting
  Coordinator, Sourcer; another role is ``other``), both derived at no further cost. A stage
  added to a plan whose job did not change is seen when the job next changes. ``code`` is
  ``customRequisitionId``; ``department_ids`` ``departmentId``; ``office_ids`` ``locationId``
  then ``secondaryLocationIds``.
- ``interviews`` (``interviewSchedule.list``): one row per schedule: first event start, last
  event end, every event's interviewers once, the first location. Ashby gives no title or
  organiser and no job on a schedule: null (join ``applications``).
- ``candidates`` (``candidate.list``): Ashby keeps one ``name``, so ``first_name`` and
  ``last_name`` stay null rather than guessed (the name is in ``raw``); ``title`` is
  ``position``.
- ``users`` (``user.list``, ``includeDeactivated: true``): ``active`` is ``isEnabled``.
- ``offers`` (``offer.list``): one row per offer, its state the latest version's:
  ``offerStatus`` WaitingOnApprovalStart and WaitingOnOfferApproval -> draft,
  WaitingOnCandidateResponse -> sent, CandidateAccepted -> accepted, CandidateRejected ->
  declined, OfferCancelled -> deprecated, else other; ``resolved_at`` is ``decidedAt``,
  ``created_at`` and ``starts_at`` the latest version's ``createdAt`` and ``startDate`` (so the
  models date the offer by it). Ashby's offer has no version number, sent time or change time,
  and names only its application: those columns stay null.
- ``scorecards`` (``applicationFeedback.list``, by sync token like the other lists): one row
  per submitted feedback form; the overall recommendation is the form's "overall
  recommendation" field (a ValueSelect or a 1-4 Score), ``ratings`` its other Score fields,
  ``notes`` its text fields (only with ``include_scorecard_notes``), ``interview_id`` the
  ``interviewEventId``; no job, candidate or change time. See
  :mod:`~tap_ats.providers.ashby.entities` for what Ashby documents and what is our reading.
- ``departments``, ``offices`` (``location.list``; the location is the postal address on one
  line), ``sources`` (type: the ``sourceType`` title), ``rejection_reasons``
  (``archiveReason.list``; ``reasonType`` RejectedByOrg -> we_rejected, RejectedByCandidate ->
  candidate_withdrew, else other).
- ``custom_fields`` on applications, candidates, jobs and offers: Ashby's ``customFields`` array
  as one object, field id -> value; ``custom_field_definitions`` (``customField.list``) holds
  those ids as ``key`` with the field's title, object type, type and options.
- Not offered: ``candidate_history`` (no such API), ``demographics`` (Ashby's EEOC data is not
  in the public list endpoints).
"""

from tap_ats.providers.ashby.client import Ashby

__all__ = ["Ashby"]
