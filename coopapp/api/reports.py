"""A village's year and the ranked comparison of villages."""

from flask import jsonify, request
from flask_babel import gettext as _

from ..errors import NotFound
from ..services import catalog, metrics
from ..services.scope import authorize
from . import bp
from .common import user, year_arg
from .serializers import jsonable


@bp.get("/villages/<code>/summary")
def village_summary(code: str):
    """Headline metrics of a village's year (?year=YYYY) and one row per project."""
    me = user()
    village = catalog.area_by_code(code)
    if village.level != "village":
        raise NotFound(_("不存在这个村：%(c)s", c=code))
    authorize(me, "view", village)
    return jsonify(jsonable(metrics.village_summary(village, year_arg())))


@bp.get("/compare")
def compare():
    """Villages under ?area (default: the caller's scope) ranked by ?metric for ?year."""
    me = user()
    area = catalog.area_by_code(request.args["area"]) if request.args.get("area") else me.area
    authorize(me, "view", area)
    year, metric = year_arg(), request.args.get("metric") or "collective_income"
    rows = metrics.compare(me, area, year, metric)
    return jsonify(jsonable({"area": area.code, "area_name": area.name, "year": year, "metric": metric, "rows": rows}))
