"""The village lock that serialises writes into a village's months."""

from sqlalchemy import update

from coopapp.extensions import db
from coopapp.models import Area


def lock_village(village_id: int) -> None:
    """Serialise month-closing against writes into the village's months (and refreshes of its
    benefit summary against each other).

    A no-op UPDATE of the village row: a row lock on PostgreSQL, the write lock on SQLite,
    held until the operation commits — so a month cannot close while an entry lands in it.
    """
    db.session.execute(
        update(Area).where(Area.id == village_id).values(code=Area.code).execution_options(synchronize_session=False)
    )
