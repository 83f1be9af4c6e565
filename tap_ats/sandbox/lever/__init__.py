"""Lever's API v1 (``/lever/v1/...``) as Lever documents it (hire.lever.co/developer/documentation).

The API key is the user of HTTP basic auth, the password empty; a wrong key answers 401. Lists
answer ``{"data", "hasNext", "next"}``: ``limit`` (1 to 100, default 100) and the opaque
``offset`` token from ``next``, which is only good with the same other parameters (else 400).
``/opportunities`` takes ``updated_at_start`` / ``updated_at_end`` (milliseconds since the epoch,
inclusive), ``expand`` (``applications``, ``stage``, ...) and ``confidentiality`` (default
``non-confidential``; ``all`` for both), as ``/postings`` takes ``confidentiality``; a key
without confidential access (``PUBLIC_KEY``) never sees confidential ones. An opportunity
carries ``stageChanges`` (``toStageId``, ``toStageIndex``, ``updatedAt``, ``userId``) and
``archived`` (``archivedAt``, ``reason``: an archive reason id; "Hired", of type ``hired``, is
every account's hire). ``/opportunities/deleted`` lists ``{id, deletedAt}`` from
``deleted_at_start`` on. ``/stages``, ``/archive_reasons``, ``/users`` (the deactivated only with
``includeDeactivated=true``), ``/postings``, ``/sources`` and ``/tags`` (``{text, count}``) list
the account's. Offers, interviews and feedback are read per opportunity,
``/opportunities/<id>/offers|interviews|feedback`` (404 once the opportunity is deleted); a
superseded offer version is not kept, as Lever keeps one offer per opportunity. Errors are
``{"code", "message"}``. The documented limit (10 requests a second per key) is enforced with
``--rate-limits``: 429 with ``Retry-After``.
"""

from tap_ats.sandbox.lever.api import API_KEY, PUBLIC_KEY, LeverAPI
from tap_ats.sandbox.lever.render import lid

__all__ = ["API_KEY", "PUBLIC_KEY", "LeverAPI", "lid"]
