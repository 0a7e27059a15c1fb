"""Shared column and query helpers."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Integer
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from coopapp.core.limits import MAX_ID

# BigInteger on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class MilliDecimal(TypeDecorator):
    """A Decimal with three places, stored as an integer count of thousandths.

    Integers sum exactly in SQL on every database (SQLite would keep NUMERIC as a
    float), so summaries of quantities equal the ledger to the last digit.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        milli = Decimal(value) * 1000
        if milli != milli.to_integral_value():
            raise ValueError(f"{value} has more than three decimal places")
        return int(milli)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(int(value)) / 1000

    def coerce_compared_value(self, op, value):
        return self


def utcnow() -> datetime:
    """Timezone-naive UTC now, the form every timestamp is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)


def get_by_id(model, ident):
    """`session.get`, but None for an id no row can have (≤ 0 or past the column's range)."""
    from coopapp.extensions import db

    if not isinstance(ident, int) or isinstance(ident, bool) or not 0 < ident <= MAX_ID:
        return None
    return db.session.get(model, ident)


def plain_rows(statement, params: dict | None = None) -> list[tuple]:
    """The statement's rows as the driver returns them: plain tuples, no `Row` objects, no result
    processing (about 1 µs a row less; the comparison fetches thousands of rows). Only for columns
    the driver already returns as Python wants them: ints and text (a Boolean comes back as 0/1
    on SQLite, a Date as text, a MilliDecimal as thousandths). Runs on the session's connection,
    inside its transaction, without autoflush: for reads."""
    from coopapp.extensions import db

    connection = db.session.connection()
    result = connection.execute(statement, params or {})
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        return result.cursor.fetchall()
    except dbapi_error as err:  # raised as SQLAlchemy raises it, so "database unavailable" stays a 503
        raise DBAPIError.instance(None, None, err, dbapi_error, dialect=connection.dialect) from err
    finally:
        result.close()


def adding_upsert(dialect: str, table, key: tuple[str, ...], values: dict, added: tuple[str, ...]):
    """INSERT … ON CONFLICT (key) DO UPDATE adding the `added` columns to the stored row, on either
    database: the summaries' one way of counting something in (a new row, or more on an old one)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=list(key), set_={col: table.c[col] + stmt.excluded[col] for col in added}
    )
