"""JSON API under /api/v1: tokens, the catalog, the ledger and the reports.

Every module registers its routes on the one blueprint `bp`; `common` holds the
request hooks (login required, JSON bodies only) and the parsing helpers.
"""

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import catalog, common, distributions, entries, openapi, reports, tokens  # noqa: E402,F401
