"""``python -m tap_ats``: the same as the ``tap-ats`` command."""

from tap_ats.cli import main

main()
