"""The largest values the columns hold: ids and quantities past them are refused before they
reach the database (on PostgreSQL they would fail there; SQLite would take them)."""

from decimal import Decimal

# The largest key an INTEGER primary key holds on PostgreSQL (SQLite's is larger).
MAX_ID = 2**31 - 1
# The largest key a BIGINT primary key holds (ledger entries have these).
MAX_BIG_ID = 2**63 - 1
# Quantities are stored in thousandths of the base unit (BIGINT, see models.base.MilliDecimal);
# anything below this leaves room for their sums.
MAX_QUANTITY = Decimal(10) ** 11
