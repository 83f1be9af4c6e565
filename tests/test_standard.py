"""The SDK's standard tap tests, for every provider, against one shared sandbox."""

from __future__ import annotations

from conftest import SandboxClient
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_ats.sandbox.server import Sandbox
from tap_ats.tap import TapATS

SANDBOX = SandboxClient(Sandbox(seed=7, applications=60))
SUITE = SuiteConfig(max_records_limit=None)


def every_stream(config: dict) -> dict:
    """The discovered catalog with every stream selected, the opt-in ones (demographics) too.

    The SDK's sync for these tests selects every stream, but its per-stream checks read a tap
    built from the catalog it is given, where an opt-in stream left out has no properties.
    """
    catalog = TapATS(config=config, setup_mapper=False).catalog_dict
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = True
    return catalog


TestKombo = get_tap_test_class(TapATS, config=SANDBOX.config("kombo"), suite_config=SUITE)
TestAtzCrm = get_tap_test_class(TapATS, config=SANDBOX.config("atzcrm"), suite_config=SUITE)
TestGreenhouse = get_tap_test_class(TapATS, config=SANDBOX.config("greenhouse"),
                                    suite_config=SUITE,
                                    catalog=every_stream(SANDBOX.config("greenhouse")))
TestMerge = get_tap_test_class(TapATS, config=SANDBOX.config("merge"), suite_config=SUITE,
                               catalog=every_stream(SANDBOX.config("merge")))
