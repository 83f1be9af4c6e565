"""Singer output: messages to stdout in chunks, and how a signal ends a run between two of them.

A scheduler's SIGTERM or SIGINT must never leave half a message on stdout, and the STATE last
written must cover every record before it: the signal handler raises :class:`Terminated` at
once, or, while a chunk is being written, right after it.
"""

from __future__ import annotations

import sys
import time
import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from singer_sdk.exceptions import FatalSyncError
from singer_sdk.singerlib import Message, RecordMessage, StateMessage


class Terminated(BaseException):
    """SIGTERM or SIGINT arrived: the run stops where it is, after the last complete message.

    ``received`` keeps the first signal: raised inside a lock's wait, the exception can surface
    as another one (a lock released while not held), and the run still ended by the signal.
    """

    received: t.ClassVar[int | None] = None

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class TargetGone(FatalSyncError):
    """stdout was closed: the target stopped reading."""


class Writer(MsgSpecWriter):
    """The SDK's msgspec writer, sending RECORDs to stdout in chunks instead of one by one.

    The SDK writes and flushes every message on its own: one system call per record, two when
    the environment sets ``PYTHONUNBUFFERED`` (as many containers do), where that was over a
    third of the tap's CPU in the benchmark. Records still leave in order, and any other
    message (SCHEMA, STATE, ACTIVATE_VERSION) first sends out the records before it, so a target
    never sees a bookmark before the records it covers, and a crash loses only records that no
    emitted state has claimed. A signal that arrives while a chunk is being written takes effect
    once the chunk is out, so stdout never ends in half a message.

    STATE messages are coalesced: each one holds the whole state (every account's bookmarks of
    every stream), and the SDK asks for one at the end of every account's read, so with many
    accounts writing each would cost time in the square of their number. The records before a
    STATE go out when it arrives, as before; the state itself is held (:meth:`hold_state`, by
    reference: :mod:`tap_ats.state`), and serialised after the records queued with it at most
    every ``STATE_SECONDS``, before any other message, and by :meth:`flush` at the end of the
    run; a state equal to the last one written is not written again. A held state can only be
    written late, never ahead of its records: the tap moves a bookmark only once the records it
    covers are queued. A run that ends without the final flush (a signal, the SDK's ``--test``
    dry run) has every record out and an earlier STATE.
    """

    CHUNK_BYTES = 2**16
    STATE_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        self._state: dict | None = None
        self._state_line = b""
        self._state_due = 0.0
        self.writing = False
        self.stop_signal: int | None = None

    def write_message(self, message: Message) -> None:
        """Queue one message; send the queue when it is full or the message is not a RECORD."""
        if isinstance(message, RecordMessage):
            # The line format_message makes (the SDK's encoder, then a newline), encoded
            # straight into the queue instead of into a buffer that is then copied.
            pending = self._pending
            encoder.encode_into(message.to_dict(), pending, len(pending))
            pending += b"\n"
            if len(pending) >= self.CHUNK_BYTES:
                self.flush()
            return
        if isinstance(message, StateMessage):
            self.hold_state(message.value)
            return
        self._take_state()
        self._pending += self.format_message(message)
        self.flush()

    def hold_state(self, state: dict) -> None:
        """Hold ``state`` (the latest covers every earlier one); write it if one is due."""
        self._state = state
        self.flush(with_state=time.monotonic() >= self._state_due)

    def _take_state(self) -> None:
        """Queue the held state as a STATE line, after every record queued before it.

        Encoded straight from the dict: the SDK's ``format_message`` first copies the whole
        state through ``dataclasses.asdict``.
        """
        if self._state is not None:
            line = encoder.encode({"type": "STATE", "value": self._state}) + b"\n"
            self._state = None
            if line != self._state_line:
                self._pending += line
                self._state_line = line
                self._state_due = time.monotonic() + self.STATE_SECONDS

    def flush(self, *, with_state: bool = True) -> None:
        """Send every queued message, and (``with_state``) the held STATE after them."""
        if with_state:
            self._take_state()
        if self._pending:
            self.writing = True
            try:
                out, sent = sys.stdout.buffer, 0
                with memoryview(self._pending) as chunk:
                    while sent < len(chunk):  # an unbuffered stdout may take part of a chunk
                        sent += out.write(chunk[sent:])
                self._pending.clear()
                sys.stdout.flush()
            except BrokenPipeError:
                msg = ("stdout was closed (the target stopped reading); no STATE after the "
                       "last one it received was written, so the next run resumes from there")
                raise TargetGone(msg) from None
            finally:
                self.writing = False
            if self.stop_signal is not None:
                raise Terminated(self.stop_signal)
