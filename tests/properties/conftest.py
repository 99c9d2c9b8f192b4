"""Hypothesis profiles for the property tests: ``ci`` (default, derandomized) or ``deep``."""

from symgeom.testing import register_profiles

register_profiles()
