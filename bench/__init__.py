"""The benchmark harness (``make bench``); see __main__.py."""
