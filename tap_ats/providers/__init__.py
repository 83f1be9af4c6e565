"""One package per provider: everything specific to one API, on the base of :mod:`tap_ats.provider`.

The base never imports these modules by name; :func:`tap_ats.provider.load` finds the one the
``provider`` setting names in :data:`tap_ats.provider.PROVIDERS`.
"""
