"""The public entry page's directory: every village that has a public page, by town (no login)."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import aliased

from coopapp.extensions import db
from coopapp.models import Area


@dataclass
class TownVillages:
    """A town (镇/街道) and its villages as (code, name) pairs, in code order."""

    code: str
    name: str
    county: str
    villages: list[tuple[str, str]] = field(default_factory=list)


def public_directory() -> list[TownVillages]:
    """Every village in use (not retired) under its town, towns and villages in code order: one
    query of plain columns, so a county's hundreds of villages cost one round trip."""
    town, county = aliased(Area), aliased(Area)
    rows = db.session.execute(
        select(town.code, town.name, county.name, Area.code, Area.name)
        .select_from(Area)
        .join(town, town.id == Area.parent_id)
        .outerjoin(county, county.id == town.parent_id)
        .where(Area.level == "village", Area.retired.is_(False))
        .order_by(town.code, Area.code)
    ).all()
    towns: dict[str, TownVillages] = {}
    for town_code, town_name, county_name, code, name in rows:
        entry = towns.setdefault(town_code, TownVillages(town_code, town_name, county_name or ""))
        entry.villages.append((code, name))
    return list(towns.values())
