"""Following pages: cursors found in a body, and what ends a read that would never end.

Greenhouse pages by ``Link`` headers (the SDK's :class:`HeaderLinkPaginator`), ATZ CRM by page
number; Kombo and Merge put a cursor in the body (:class:`BodyCursorPaginator`). Whatever the
paginator, the stream base's read loop stops an account on a cursor already given or a long run
of empty pages (:class:`PaginationLoop`).
"""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import BaseAPIPaginator

from tap_ats.http import ForeignHostError, body, origin

if t.TYPE_CHECKING:
    import requests

#: Pages in a row with no record and a next cursor before the API is taken to be looping.
MAX_EMPTY_PAGES = 100


class BodyCursorPaginator(BaseAPIPaginator[str | None]):
    """Follows a cursor found in the body (Kombo ``data.next``, Merge ``next``).

    A cursor is opaque, but one shaped like a URL on another host is refused: a hostile or
    confused API must not learn that the tap follows links it did not expect.
    """

    def __init__(self, provider: str, api_url: str, *keys: str) -> None:
        super().__init__(None)
        self.provider, self.api_origin = provider, origin(api_url)
        self.keys = keys

    def get_next(self, response: requests.Response) -> str | None:
        """The next cursor, or None on the last page."""
        value = body(response)
        for key in self.keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, str):
            value = str(value)
        if value and "://" in value and origin(value) != self.api_origin:
            msg = (f"{self.provider}: refused a next-page cursor that points to another host, "
                   f"{origin(value)} (the configured API is {self.api_origin})")
            raise ForeignHostError(msg)
        return value


class PaginationLoop(FatalAPIError):
    """The API answered a next-page cursor it had already given: following it never ends."""
