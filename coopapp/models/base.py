"""Shared column helpers."""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer

# BigInteger on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Timezone-naive UTC now, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)
