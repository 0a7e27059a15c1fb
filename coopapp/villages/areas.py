"""The area tree as the county keeps it: the first county, then its towns, villages and groups."""

from flask_babel import gettext as _
from sqlalchemy import select

from coopapp.access.accounts import add_user
from coopapp.core.codes import area_level, canonical_area_code
from coopapp.core.tx import atomic
from coopapp.errors import Conflict, Invalid
from coopapp.extensions import db
from coopapp.models import Area, User
from coopapp.villages.catalog import add_area


def database_is_empty() -> bool:
    """True when no area and no user exists yet: the only state `init_county` accepts."""
    return db.session.scalar(select(Area.id).limit(1)) is None and db.session.scalar(select(User.id).limit(1)) is None


@atomic
def init_county(code: str, name: str, admin_username: str, password: str) -> User:
    """Turn an empty database into a county: its area and its first administrator (both audited)."""
    if not database_is_empty():
        raise Conflict(_("数据库不是空的：已有区域或用户，不能再初始化。"))
    code = canonical_area_code(code, field="county")
    if area_level(code) != "county":
        message = _("县级区划代码是 6 位数字（或补零到 12 位）：%(c)s", c=code)
        raise Invalid(message, {"county": message})
    name = (name or "").strip()
    if not name:
        raise Invalid(_("请填写县的名称。"), {"name": _("请填写县的名称。")})
    add_area(code, name, "county", None)
    db.session.flush()
    return add_user(admin_username, password, "admin", code)
