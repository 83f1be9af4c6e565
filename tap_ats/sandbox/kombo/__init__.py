"""Kombo's unified ATS API (``/kombo/v1/ats/...``) as Kombo documents it.

Bearer API key plus ``X-Integration-Id``; envelope ``{"status": "success", "data": {"next",
"results"}}``; ``cursor`` + ``page_size`` (at most 250) with the same filters repeated on every
page (a cursor replayed with other filters is refused); ``updated_after`` in
``YYYY-MM-DDTHH:mm:ss.sssZ`` (or as Kombo's SDK sends it, any fraction of a second); deleted
rows only with ``include_deleted=true``, carrying ``remote_deleted_at``. Records have every key
Kombo's own models (the ``kombo`` SDK) require and none they lack: an application embeds its
candidate, current stage (``index``, ``status``), job, ``interviews`` and ``offers``; an
interview's ``application`` its outcome, candidate and job; a candidate its ``applications``.
Errors, injected ones included, use Kombo's ``KomboAtsError`` envelope, ``{"status": "error",
"error": {code, title, message, log_url}}``, with one of its codes (``STATUS_CODE``); the
``error_code`` fault answers any code, at the status ``CODE_STATUS`` gives it.
``--accounts N`` serves N integrations (``personio:sandbox00001``...) instead of the two named
ones, for the sharding tests and benchmark.

Beyond the core endpoints it serves ``users``, ``offers``, ``rejection-reasons`` and
``scorecards`` the same way, and renders what Kombo carries on its objects: a job's one
``department`` string, one ``location`` (its first office) and ``hiring_team`` with
``job_roles``; the candidate's ``source`` (also on the application's embedded candidate);
``custom_fields``. EEO answers are not rendered: Kombo documents no way to read them.
"""

from tap_ats.sandbox.kombo.api import API_KEY, KomboAPI
from tap_ats.sandbox.kombo.render import kid

__all__ = ["API_KEY", "KomboAPI", "kid"]
