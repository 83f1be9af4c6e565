"""Merge's ATS API (``/merge/api/ats/v1/...``) as Merge documents it.

Bearer API key plus ``X-Account-Token`` (one linked account per token); list bodies
``{"next", "previous", "results"}``; ``cursor`` + ``page_size`` (default 30, at most 100) with the
same filters on every page (a cursor replayed with other filters is refused); ``modified_after``
keeps records whose ``modified_at`` is at or after it (Merge does not say whether it is
inclusive; inclusive loses nothing); deleted records only with ``include_deleted_data=true``,
flagged ``remote_was_deleted``; ``remote_data`` is null unless ``include_remote_data=true``;
``expand`` replaces the id of a related object by the object itself for every relation
Merge's list takes (the enums of its SDK; those the sandbox serves empty stay empty), other
names are refused with 400 as Merge refuses an unknown enum value. Without it applications
carry ids only (``current_stage``, ``reject_reason``: a RejectReason id), as Merge's
Application object does. ``/users`` lists RemoteUsers (``disabled`` for the gone); past
interviews are ``COMPLETE`` or, for some, ``AWAITING_FEEDBACK``. ``GET /account-details`` names
the linked account of a token, with the ``status`` the ``linked_account_status`` fault sets
(else ``COMPLETE``); the lists of an account in any status are served, as Merge keeps serving
what it synced before a relink was needed. A list in the ``disabled_models`` fault answers 403
with Merge's ``detail`` naming the Common Model (Merge documents no read error for a model
disabled in scopes; the tap treats 403 and 404 alike). Errors are ``{"detail": ...}``, the
shape Merge's API answers in (its SDK models no read error). The rate limit is per linked
account per minute (Launch plan: 100) and enforced with ``--rate-limits``: 429 with
``Retry-After``. One token of the config is revoked (401), so that tests can make one account
fail.
The analytics models are served the same way: ``/offers`` (statuses spread over DRAFT /
APPROVED and SENT / SENT-MANUALLY / OPENED), ``/departments``, ``/offices``, ``/reject-reasons``,
``/scorecards``, ``/eeocs``; jobs carry ``departments``, ``offices``, ``hiring_managers`` and
``recruiters`` (ids), applications their ``offers`` (ids), and applications,
jobs, candidates and offers their custom fields as ``field_mappings``.
``--accounts N`` serves N linked accounts (tokens ``mtok_sandbox_00001``...) instead of the two
named ones, for the sharding tests and benchmark.
"""

from tap_ats.sandbox.merge.api import API_KEY, REVOKED_TOKEN, TOKENS, MergeAPI
from tap_ats.sandbox.merge.render import mid

__all__ = ["API_KEY", "REVOKED_TOKEN", "TOKENS", "MergeAPI", "mid"]
