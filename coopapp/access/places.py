"""Places named in a form, a file or the API: by their code (canonical, or a county's or town's
zero-padded to 12 digits) or by their name. Below the domain packages: the user forms resolve a
user's area with them as the catalog resolves a cooperative's village."""

from flask_babel import gettext as _
from sqlalchemy import or_, select

from coopapp.core.codes import canonical_area_code
from coopapp.errors import Invalid, NotFound
from coopapp.extensions import db
from coopapp.models import Area


def area_by_code(code: str) -> Area:
    """The area with this code, canonical or zero-padded to 12 digits (404 if none)."""
    try:
        code = canonical_area_code(code)
    except Invalid:
        raise NotFound(_("区域不存在：%(c)s", c=code)) from None
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(_("区域不存在：%(c)s", c=code))
    return area


def area_by_code_or_name(text: str, levels: tuple[str, ...], within: Area | None = None) -> Area:
    """The area a form's field names: by its code (either form), or by its name or published name
    (中洞村, 中洞村委会) among the areas of `levels` in use under `within` — a place typed as people
    call it. NotFound for none; Invalid, listing them with their codes, for a name several share."""
    text = (text or "").strip()
    if not text or text[0].isdigit():  # (full-width digits too)
        return area_by_code(text)
    q = select(Area).where(
        or_(Area.name == text, Area.published_name == text), Area.level.in_(levels), Area.retired.is_(False)
    )
    if within is not None:
        q = q.where(Area.path.startswith(within.path, autoescape=True))
    found = list(db.session.scalars(q.order_by(Area.code).limit(4)))
    if not found:
        raise NotFound(_("区域不存在：%(c)s（写名称或代码）", c=text))
    if len(found) > 1:
        some = "、".join(f"{a.code}（{a.parent.name if a.parent else ''}）" for a in found[:3])
        raise Invalid(_("有几处都叫“%(n)s”，请写代码：%(some)s", n=text, some=some))
    return found[0]
