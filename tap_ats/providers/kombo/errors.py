"""Kombo's error vocabulary: what each ``error.code`` of a ``KomboAtsError`` means to the tap.

Kombo asks integrators to branch on ``error.code``, not on the HTTP status (its error guide),
and moved some codes between statuses before (the setup codes from 503 to 409 in 2026), so a
code decides here whatever status it comes with. A code not listed (or an error without one)
is left to the status, as for any provider.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError

from tap_ats.http import AccountNotReady, AccountUnreadable, Refused, RetryAs

#: The integration does not offer the model, has it switched off, or the key lacks its scope:
#: the stream is skipped as for a scoped key (an ATS without scorecards must not fail nightly).
NOT_OFFERED = frozenset({"INTEGRATION.MODEL_NOT_AVAILABLE", "INTEGRATION.MODEL_DISABLED",
                         "INTEGRATION.PERMISSION_MISSING"})
#: Retried as this status: 429 waits and pushes the integration's pacer back, 503 is an outage.
RETRY_AS = {"PLATFORM.RATE_LIMIT_EXCEEDED": 429, "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED": 429,
            "REMOTE.RATE_LIMIT_EXCEEDED": 429, "REMOTE.SERVICE_UNAVAILABLE": 503,
            "PLATFORM.TASK_TIMED_OUT": 503}
#: The integration cannot be read: it fails, with what to do about it in Kombo.
ACCOUNT_FIXES = {
    "INTEGRATION.INACTIVE": (
        "the integration is inactive in Kombo: reactivate it in the Kombo dashboard "
        "(Integrations), or take it out of setting 'integration_ids'"),
    "INTEGRATION.AUTHENTICATION_INVALID": (
        "the ATS no longer accepts the credentials this integration was connected with: have "
        "the customer reconnect it (a reconnection link from the integration's page in the "
        "Kombo dashboard)"),
    "PLATFORM.INTEGRATION_NOT_FOUND": (
        "no integration with this id exists for this API key: check setting 'integration_ids' "
        "against the Kombo dashboard, and that 'api_key' is of the same environment"),
}
#: The integration's first sync at Kombo is still running (it can take hours): the integration
#: is skipped for this run, its bookmarks kept.
NOT_READY = "INTEGRATION.SETUP_SYNC_PENDING"


def error_code(response: requests.Response) -> str | None:
    """The ``error.code`` of a Kombo error body, if it has one."""
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


def classified(response: requests.Response, message: str) -> FatalAPIError | None:
    """The exception Kombo's code calls for (``message`` names the request), else None."""
    code = error_code(response)
    status = response.status_code
    if code in NOT_OFFERED:
        return Refused(message, status, urlsplit(response.request.url).path)
    if code in RETRY_AS:
        return RetryAs(message, response, RETRY_AS[code])
    if code == NOT_READY:
        return AccountNotReady(f"{message}. Kombo is still running this integration's first "
                               "sync; the next run reads it once that is done", status)
    if code in ACCOUNT_FIXES:
        return AccountUnreadable(f"{message}. {ACCOUNT_FIXES[code]}", status)
    return None
