"""Verification: the identity checker (proved / checked numerically / failed) and the catalog."""

from __future__ import annotations

from symgeom.verification.identity import (
    CHECKED_NUMERICALLY,
    FAILED,
    PROVED,
    Verdict,
    assert_proved,
    check_identity,
)


def verify(family: object) -> list:
    """Every catalog identity for ``family``: a list of rows (identity, statement, family, verdict)."""
    from symgeom.errors import SymgeomError
    from symgeom.families.base import Family
    from symgeom.verification.catalog import verdicts

    if not isinstance(family, Family):
        raise SymgeomError(
            f"verify: family must be a symgeom Family such as sg.Gaussian(), got {type(family).__name__}"
        )
    return verdicts(family)


__all__ = [
    "CHECKED_NUMERICALLY", "FAILED", "PROVED", "Verdict", "assert_proved", "check_identity", "verify",
]
