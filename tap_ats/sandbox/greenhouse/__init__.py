"""Greenhouse Harvest API v3 (``/greenhouse/v3/...``) as Greenhouse documents it.

- Auth: ``POST /greenhouse/auth/token`` with HTTP Basic ``client_id:client_secret`` and the form
  ``grant_type=client_credentials&sub=<user id>`` answers ``{access_token, token_type,
  expires_at}`` (one hour); a wrong client answers 401 ``{"error": "invalid_client"}`` (RFC 6749).
  List calls need ``Authorization: Bearer <token>`` (else 401 ``{"message": ...}``) and a token
  acting as the Site Admin user ``ADMIN_USER`` (else 403).
- Lists are bare JSON arrays ordered by id descending; ids are integers, offset per kind so that
  no two kinds share one. ``per_page`` is 1 to 500 (default 100) and only read on page 1; the
  next page is a ``Link: <url>; rel="next"`` header whose opaque ``cursor`` embeds every filter,
  and a request sending ``cursor`` with any other parameter is refused with 422.
- Records carry the keys of v3's reference examples, with their types (unused ones null or
  empty; ``tests/test_greenhouse_examples.py`` walks every endpoint against
  ``tests/fixtures/greenhouse/``). As in the reference, an application names no rejection
  reason and its ``stage_id`` is the id of its current stage visit (an
  ``/v3/application_stages`` row), not of a job interview stage; ``stage_name`` is that
  stage's name. ``/v3/rejection_details`` has one row per rejected application (its
  ``rejection_reason_id``; its times are the rejection's, so an edit of the application after
  it leaves the detail's ``updated_at`` where it was).
- Filters: ``updated_at``/``created_at`` in pipe syntax (``gte|T1|lte|T2``, also ``gt``/``lt``);
  ``ids``, ``job_ids``, ``application_ids``, ``candidate_ids``, ``job_interview_stage_ids``
  with at most 50 values each.
- Rate limit: a fixed window of 30 s (times ``time_scale``); every API response carries
  ``X-RateLimit-Limit/Remaining/Reset`` (Reset as epoch seconds, with milliseconds so that tiny
  test windows work). Only enforced (429 + ``Retry-After``) when the sandbox has
  ``rate_limits``; otherwise the headers report a generous limit. Token calls are not counted.
- Deletes leave no trace: a deleted application, with its stage rows and interviews, is simply
  absent.
- Interviews carry ``job_interview_id`` (no title, stage or panel, as in v3); the name and stage
  are on ``/v3/job_interviews`` (one job interview per job stage here, named after the stage),
  the panel on ``/v3/interviewers`` (one row per interview and user, ``user_id`` as in
  ``/v3/users``, ``scorecard_id`` the scorecard that panelist submitted, else null).
  ``/v3/users`` lists the hiring-side users (``primary_email``); ``deactivated`` marks the gone.
- The analytics entities of the world, in v3's shapes: ``/v3/offers`` (status ``Created`` for a
  draft or sent offer, ``sent_on`` telling them apart, ``Accepted``, ``Rejected``,
  ``Deprecated``), ``/v3/departments``, ``/v3/offices``, ``/v3/sources`` (``type`` the sourcing
  strategy ``{id, name}``), ``/v3/rejection_reasons`` (``type`` ``{id, key, name}``; the reasons
  in ``DEFAULT_REASONS`` are Greenhouse's defaults, listed only with ``include_defaults=true``),
  ``/v3/job_hiring_managers`` and ``/v3/job_owners`` (the hiring team, owners with ``type``),
  ``/v3/scorecards`` (``candidate_rating``, no interview, candidate or job id), their ratings on
  ``/v3/scorecard_candidate_attributes`` (``scorecard_ids`` filter; ``definitely_not`` for the
  world's ``strong_no``) named by ``/v3/job_candidate_attributes`` (one per job and attribute),
  ``/v3/eeoc`` (each answer ``{id, description}``), ``/v3/custom_fields`` with
  ``/v3/custom_field_options``. Applications, candidates, jobs and offers carry
  ``custom_fields`` keyed by ``name_key`` (``{name, type, value}``, every active field of the
  object, null when unset); applications ``source_id``, jobs
  ``department_id`` and ``office_ids``. A deleted application takes its offers, scorecards and
  EEOC answers with it.
"""

from tap_ats.sandbox.greenhouse.api import ADMIN_USER, CLIENT_ID, CLIENT_SECRET, GreenhouseAPI
from tap_ats.sandbox.greenhouse.tables import DEFAULT_REASONS, gid
from tap_ats.sandbox.greenhouse.truth import team_id

__all__ = ["ADMIN_USER", "CLIENT_ID", "CLIENT_SECRET", "DEFAULT_REASONS", "GreenhouseAPI", "gid",
           "team_id"]
