"""JSON API under /api/v1: tokens, the catalog, the ledger and the reports.

Every module registers its routes on the one blueprint `bp` (defined in `common`, which also
holds the request hooks — login required, JSON bodies only — and the parsing helpers);
importing this package imports them all.
"""

from coopapp.api import (  # noqa: F401
    areas,
    catalog,
    distributions,
    entries,
    months,
    openapi,
    orgs,
    reports,
    settings,
    tokens,
    unlock,
    users,
    vouchers,
    warnings,
)
from coopapp.api.common import bp  # noqa: F401
