"""Singer state at a cost per account that does not grow with the number of accounts.

The SDK keeps a stream's bookmarks as a list of partitions and finds an account's entry by
scanning that list, several times per account; and its ``StateWriter`` compares the whole state
with a deep copy of the last one written, then deep-copies it again, on every STATE the streams
ask for (one per account, stream and child sync). Both are O(accounts) per account, so a run
cost grew in the square of its accounts: at 1,000 Kombo accounts in one process that was most
of the tap's CPU. Here an account's entry is found through an index, and a STATE hands the
writer the live state to hold (:meth:`tap_ats.writer.Writer.hold_state`), which it serialises
at most once a second and at the end of the run. The bookmarks, the partitions and the STATE
lines are the SDK's, unchanged.
"""

from __future__ import annotations

import typing as t

from singer_sdk.helpers._state import StateWriter
from singer_sdk.streams._state import StreamStateManager

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, TapState

    from tap_ats.writer import Writer


class IndexedStateManager(StreamStateManager):
    """The SDK's state manager, finding a partition's entry by an index instead of a scan.

    The SDK only ever appends to a stream's ``partitions`` list, so the index catches up with
    the entries appended since it last looked; a list replaced as a whole is indexed anew.
    """

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self._index: dict[tuple, dict] = {}
        self._indexed: list[dict] | None = None
        self._count = 0

    def get_context_state(self, context: Context | None) -> dict:
        """The writable entry of ``context``'s partition, created if there is none yet."""
        partition = self.get_state_partition_context(context)
        if not partition:
            return self.stream_state
        try:
            key = tuple(sorted(partition.items()))
            hash(key)
        except TypeError:  # a context value that cannot be a key: the SDK's own scan
            return super().get_context_state(context)
        entries: list[dict] = self.stream_state.setdefault("partitions", [])
        if entries is not self._indexed:
            self._index, self._indexed, self._count = {}, entries, 0
        if key not in self._index and self._count < len(entries):
            self._catch_up(entries)
        if (found := self._index.get(key)) is None:
            found = {"context": dict(partition)}
            entries.append(found)
            self._catch_up(entries)
        return found

    def _catch_up(self, entries: list[dict]) -> None:
        """Index the entries appended since the last look; a duplicate is the SDK's error."""
        for entry in entries[self._count:]:
            key = tuple(sorted(entry["context"].items()))
            if key in self._index:
                msg = f"State file contains duplicate entries for partition: {entry['context']}"
                raise ValueError(msg)
            self._index[key] = entry
        self._count = len(entries)


class HeldStateWriter(StateWriter):
    """Hands the writer the live state, neither compared nor copied (see the module doc)."""

    def __init__(self, writer: Writer) -> None:
        super().__init__(writer)
        self._writer = writer

    def write_state(self, state: TapState) -> None:
        """Hold ``state`` for the writer, which writes it after the records queued before it."""
        self._writer.hold_state(state)


class IndexedState:
    """A stream whose state manager is :class:`IndexedStateManager` (mixed in before the SDK's)."""

    @property
    def state_manager(self) -> IndexedStateManager:
        """The SDK's manager with the same settings, finding partitions by index."""
        if self._state_manager is None:
            self._state_manager = IndexedStateManager(
                tap_name=self.tap_name, stream_name=self.name, tap_state=self._tap_state,
                state_partitioning_keys=self.state_partitioning_keys,
                is_sorted=self.is_sorted, check_sorted=self.check_sorted)
        return self._state_manager
