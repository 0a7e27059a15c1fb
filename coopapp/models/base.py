"""Shared column helpers."""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer

# BigInteger on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Timezone-naive UTC now, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)


# The largest key an INTEGER primary key holds on PostgreSQL (SQLite's is larger).
MAX_ID = 2**31 - 1


def get_by_id(model, ident):
    """`session.get`, but None for an id no row can have (≤ 0 or past the column's range)."""
    from ..extensions import db

    if not isinstance(ident, int) or isinstance(ident, bool) or not 0 < ident <= MAX_ID:
        return None
    return db.session.get(model, ident)
