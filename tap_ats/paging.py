"""Following pages: the one loop every read and lookup uses, and the cursors it follows.

:func:`pages` is the only pagination loop in tap-ats: a stream's read of an account and every
lookup go through it, so each one stops on a cursor already given or a long run of empty pages
(:class:`PaginationLoop`) instead of reading forever. Paginators are the SDK's, fed the decoded
:class:`~tap_ats.http.Answer` rather than the bare response: Greenhouse pages by ``Link``
headers (:class:`LinkPaginator`), ATZ CRM by page number; Kombo and Merge put a cursor in the
body (:class:`BodyCursorPaginator`).
"""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import BaseAPIPaginator, HeaderLinkPaginator

from tap_ats.http import ForeignHostError, origin

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tap_ats.http import Answer

T = t.TypeVar("T")

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

    def get_next(self, response: Answer) -> str | None:  # type: ignore[override]
        """The next cursor, or None on the last page."""
        value = response.body
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


class LinkPaginator(HeaderLinkPaginator):
    """Next page from ``Link: <...>; rel="next"`` (Greenhouse), read from the answer's headers."""

    def get_next_url(self, response: Answer) -> str | None:  # type: ignore[override]
        """The ``next`` link, or None on the last page."""
        return response.response.links.get("next", {}).get("url")


def pages(send: Callable[[T | None], Answer], paginator: BaseAPIPaginator[T],
          rows: Callable[[Answer], list], where: str) -> Iterator[Answer]:
    """Every answer from the first page to the last, empty pages with a next cursor included.

    ``send`` fetches the page of the paginator's current value (its start value first: None
    for a cursor, 1 for a page number), ``rows`` gives an answer's records (to count empty
    pages), ``where`` names the read in the error. A cursor already given, or
    ``MAX_EMPTY_PAGES`` empty pages in a row, raise :class:`PaginationLoop`.
    """
    seen: set[str] = set()
    empty = 0
    while not paginator.finished:
        answer = send(paginator.current_value)
        empty = 0 if rows(answer) else empty + 1
        yield answer
        try:
            paginator.advance(answer)  # type: ignore[arg-type]
        except RuntimeError:  # the SDK's check: the cursor equals the one just used
            seen.add(str(paginator.current_value))
        cursor = str(paginator.current_value)
        if not paginator.finished and (cursor in seen or empty >= MAX_EMPTY_PAGES):
            what = ("a next-page cursor it had already given" if cursor in seen
                    else f"{empty} empty pages in a row, each with a next cursor")
            msg = (f"{where} answered {what} (a pagination loop); stopping this account, its "
                   "bookmark kept")
            raise PaginationLoop(msg)
        seen.add(cursor)
