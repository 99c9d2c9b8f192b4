"""Every test folder runs Hypothesis under the profile named by $HYPOTHESIS_PROFILE (default ci)."""

from __future__ import annotations

import os

from hypothesis import settings


def test_the_named_profile_is_loaded_for_every_folder():
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    profile = settings.get_profile(name)
    assert settings.default.max_examples == profile.max_examples
    assert settings.default.derandomize == profile.derandomize
    if name == "ci":
        assert settings.default.derandomize
