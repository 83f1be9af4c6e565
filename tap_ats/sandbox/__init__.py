"""A local emulator of every provider API that tap-ats reads, for the demo, tests and benchmark.

Each provider's wire format lives in its own module; ``PROVIDER_APIS`` lists them for the server.
"""

from tap_ats.sandbox.ashby import AshbyAPI
from tap_ats.sandbox.atzcrm import AtzCrmAPI
from tap_ats.sandbox.greenhouse import GreenhouseAPI
from tap_ats.sandbox.kombo import KomboAPI
from tap_ats.sandbox.lever import LeverAPI
from tap_ats.sandbox.merge import MergeAPI

PROVIDER_APIS = [AshbyAPI, AtzCrmAPI, GreenhouseAPI, KomboAPI, LeverAPI, MergeAPI]
