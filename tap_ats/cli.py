"""The command line: files checked before the SDK reads them, and one line and a code per ending.

A scheduler trusts the exit code: 0 means every selected row of every account was read, but for
streams the key may not read (skipped with a warning, unless ``fail_on_skipped_streams``); 3
that some accounts or streams failed (given up, looped, unreadable) and every other one was
committed; 1 a run that failed as a whole (a shared credential refused, an unreachable or hung
API, a foreign link, the target gone); 2 a usage, config or state mistake, found before any
request; 128 + the signal number for SIGTERM (143) and SIGINT (130).
Every failure ends in one line on stderr starting ``tap-ats: error:``, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import sys
import typing as t
from pathlib import Path

import click
import requests
from jsonschema import Draft7Validator
from singer_sdk.exceptions import ConfigurationError, SingerSDKError

from tap_ats.http import redact
from tap_ats.provider import PROVIDERS
from tap_ats.tap import PARTIAL_EXIT, AccountsFailed, TapATS
from tap_ats.writer import Terminated


class UsageError(Exception):
    """A mistake in the command line, config, state or catalog file: exit 2, no request sent."""


JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
              dict: "object", type(None): "null"}


def _option_values(args: list[str], option: str) -> list[str]:
    """The values given to ``option`` (``--x v`` or ``--x=v``) on the command line."""
    values = []
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            values.append(args[i + 1])
        elif arg.startswith(option + "="):
            values.append(arg.split("=", 1)[1])
    return values


def _read_object(kind: str, name: str) -> dict:
    """The JSON object in file ``name``, or a :class:`UsageError` that says what is wrong."""
    path = Path(name)
    if not path.exists():
        msg = f"{kind} file '{name}' does not exist"
        raise UsageError(msg)
    if path.is_dir():
        msg = f"{kind} file '{name}' is a directory, not a JSON file"
        raise UsageError(msg)
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{kind} file '{name}' cannot be read ({type(exc).__name__})"
        raise UsageError(msg) from None
    except ValueError as exc:
        msg = f"{kind} file '{name}' is not valid JSON ({exc})"
        raise UsageError(msg) from None
    if not isinstance(value, dict):
        msg = f"{kind} file '{name}' must hold a JSON object, not a {type(value).__name__}"
        raise UsageError(msg)
    return value


def _check_config(config: dict) -> None:
    """The config against the tap's schema, the first problem as one line (secrets unshown)."""
    schema = json.loads(json.dumps(TapATS.config_jsonschema))
    TapATS.append_builtin_config(schema)
    error = next(iter(sorted(Draft7Validator(schema).iter_errors(config), key=str)), None)
    if error is None:
        return
    name = ".".join(str(p) for p in error.absolute_path) or "config"
    if error.validator == "required":
        missing = next(k for k in error.validator_value if k not in error.instance)
        msg = f"setting '{missing}' is required"
        if missing == "provider":
            msg += f": one of {', '.join(PROVIDERS)}"
    elif error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [
            error.validator_value]
        wanted = " or ".join(k for k in kinds if k != "null")
        got = JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        msg = f"setting '{name}' must be of type {wanted}, got {got}"
    elif error.validator == "enum":
        msg = (f"setting '{name}' is {error.instance!r}; expected one of "
               f"{', '.join(map(str, error.validator_value))}")
    elif schema["properties"].get(name.split(".")[0], {}).get("secret"):
        msg = f"setting '{name}' is not valid ({error.validator})"
    else:
        msg = f"setting '{name}': {error.message}"
    raise UsageError(msg)


def _check_state(state: dict, now: dt.datetime) -> None:
    """Every bookmark a date-time no later than ``now``, else one line naming it.

    A bookmark in the future (a hand-edited state, a clock that jumped) would make the tap
    skip every change made until then, silently: the run refuses to start instead.
    """
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        msg = "state file: 'bookmarks' must be an object of streams"
        raise UsageError(msg)
    for stream, entry in bookmarks.items():
        partitions = entry.get("partitions", []) if isinstance(entry, dict) else None
        if not isinstance(partitions, list) or not all(isinstance(p, dict) for p in partitions):
            msg = f"state file: the bookmark of stream '{stream}' is not a Singer bookmark"
            raise UsageError(msg)
        for where in [entry, *partitions]:
            value = where.get("replication_key_value")
            if value is None:
                continue
            partition = json.dumps(where.get("context")) if where is not entry else "(none)"
            try:
                when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                msg = (f"state file: bookmark of stream '{stream}', partition {partition}, is "
                       f"{value!r}, not an RFC 3339 date-time")
                raise UsageError(msg) from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            if when > now:
                msg = (f"state file: bookmark of stream '{stream}', partition {partition}, is "
                       f"{value}, later than this run's start ({now.isoformat()}); it would "
                       "skip every change until then: correct or remove it")
                raise UsageError(msg)


def check_arguments(args: list[str], now: dt.datetime) -> None:
    """The config, state and catalog files named in ``args``, checked before the SDK reads them."""
    config: dict = {}
    paths = _option_values(args, "--config")
    for name in paths:
        if name != "ENV":
            config |= _read_object("config", name)
    if paths and "ENV" not in paths:
        _check_config(config)
    for name in _option_values(args, "--state"):
        _check_state(_read_object("state", name), now)
    for name in _option_values(args, "--catalog"):
        _read_object("catalog", name)


def _finish(code: int, message: str | None) -> t.NoReturn:
    """Write the error line, flush what is complete, and exit without waiting for workers.

    Worker threads may still be waiting on an API; exiting must not wait for them.
    """
    if message:
        line = redact(" ".join(message.split()))
        sys.stderr.write(f"tap-ats: error: {line}\n")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logging.shutdown()
    os._exit(code)


def main() -> None:
    """Console entry point: every failure is one line and an exit code (see the module doc)."""
    args = sys.argv[1:]
    try:
        check_arguments(args, dt.datetime.now(dt.UTC))
        result = TapATS.cli.main(args=args, prog_name="tap-ats", standalone_mode=False)
    except BaseException as exc:
        if (signum := Terminated.received) is None:
            _fail(exc)
        name = signal.Signals(signum).name
        _finish(128 + signum, f"stopped by {name}; every STATE written covers the records "
                              "before it, so the next run resumes from the last one")
    _finish(result if isinstance(result, int) else 0, None)


def _fail(exc: BaseException) -> t.NoReturn:
    """The exit code and line of a run that ended by ``exc`` (no signal received)."""
    try:
        raise exc
    except click.ClickException as exc:
        _finish(2, exc.format_message())
    except (UsageError, ConfigurationError) as exc:
        _finish(2, str(exc) or type(exc).__name__)
    except AccountsFailed as exc:
        _finish(PARTIAL_EXIT, str(exc))
    except SystemExit as exc:
        _finish(exc.code if isinstance(exc.code, int) else 1, None)
    except (SingerSDKError, requests.RequestException) as exc:
        _finish(1, str(exc) or type(exc).__name__)
    except Exception as exc:
        logging.getLogger("tap-ats").debug("Unexpected error", exc_info=True)
        _finish(1, f"unexpected {type(exc).__name__}: {exc}")
    except KeyboardInterrupt:  # SIGINT before the tap's own handlers are in place
        _finish(130, "stopped by SIGINT before the run began")
