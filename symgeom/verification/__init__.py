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
from symgeom.verification.report import Report


def verify(family: object) -> Report:
    """Every catalog identity for ``family``: a :class:`Report` of rows (identity, statement,
    family, verdict) that prints as a table and indexes and iterates as the rows."""
    from symgeom.errors import SymgeomError
    from symgeom.families.base import Family
    from symgeom.families.general import IndexedFamily
    from symgeom.families.indexed_product import IndexedProduct
    from symgeom.verification.catalog import verdicts

    if isinstance(family, IndexedFamily | IndexedProduct):  # a symbolic size: the general-size identities
        from symgeom.verification.catalog import Row
        from symgeom.verification.general import general_rows

        return Report(tuple(Row(*row) for row in general_rows() if row[2] == family.label))
    from symgeom.families.general_dirichlet import GeneralDirichlet
    from symgeom.families.general_gaussian import GeneralGaussian, MatrixSpecialization

    if isinstance(family, GeneralGaussian):  # symbolic d, full covariance: the matrix-notation rows
        from symgeom.verification.catalog import Row
        from symgeom.verification.general_gaussian import gaussian_rows

        return Report(tuple(Row(*row) for row in gaussian_rows()))
    if isinstance(family, GeneralDirichlet):
        from symgeom.verification.catalog import Row
        from symgeom.verification.general_dirichlet import dirichlet_rows

        return Report(tuple(Row(*row) for row in dirichlet_rows((family.param,))))
    if not isinstance(family, Family):
        raise SymgeomError(
            f"verify: family must be a symgeom Family such as sg.Gaussian(), got {type(family).__name__}"
        )
    if isinstance(family.general, MatrixSpecialization):
        raise SymgeomError(
            f"verify: {family.label} specializes the general-d matrix result, which is checked once "
            "for every d (symgeom.verification.general_gaussian.gaussian_rows(), the `symgeom verify` "
            "rows general/*@d=…); its entry-by-entry catalog identities would expand what it avoids"
        )
    return Report(tuple(verdicts(family)))


__all__ = [
    "CHECKED_NUMERICALLY",
    "FAILED",
    "PROVED",
    "Report",
    "Verdict",
    "assert_proved",
    "check_identity",
    "verify",
]
