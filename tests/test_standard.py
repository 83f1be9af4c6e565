"""The SDK's standard tap tests, for every provider, against one shared sandbox."""

from __future__ import annotations

from conftest import SandboxClient
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_ats.sandbox.server import Sandbox
from tap_ats.tap import TapATS

SANDBOX = SandboxClient(Sandbox(seed=7, applications=60))
SUITE = SuiteConfig(max_records_limit=None)

TestKombo = get_tap_test_class(TapATS, config=SANDBOX.config("kombo"), suite_config=SUITE)
TestAtzCrm = get_tap_test_class(TapATS, config=SANDBOX.config("atzcrm"), suite_config=SUITE)
TestGreenhouse = get_tap_test_class(TapATS, config=SANDBOX.config("greenhouse"),
                                    suite_config=SUITE)
TestMerge = get_tap_test_class(TapATS, config=SANDBOX.config("merge"), suite_config=SUITE)
