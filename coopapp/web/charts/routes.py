"""Chart images: /charts/… as PNG or SVG, cached by inputs and data version, with ETags.

Every view loads and authorizes first (404, 403, 400 before anything is cached or drawn),
then answers a matching If-None-Match with 304 without drawing.
"""

from collections.abc import Callable

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp import charts
from coopapp.charts.base import empty_figure, render
from coopapp.charts.cache import CACHE, etag
from coopapp.charts.fonts import chart_font
from coopapp.core.text import parse_int
from coopapp.errors import BadRequest, DomainError
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.reporting import chart_data
from coopapp.reporting.metric_table import compared_metric
from coopapp.villages import catalog

bp = Blueprint("charts", __name__, url_prefix="/charts")
FMT = "<any(png, svg):fmt>"
CACHE_CONTROL = "private, max-age=0, must-revalidate"


@bp.before_request
@login_required
def _login_first():
    """Charts show village figures: logged-in users only."""


def _year() -> int:
    """The ?year= of a chart (this year by default); 400 for anything but a plausible year."""
    raw = request.args.get("year")
    this_year = ledger.today().year
    if raw is None or raw == "":
        return this_year
    year = parse_int(raw)  # ASCII or full-width digits only: "²" or "٢٠٢٦" is no year
    if year is None or not 2000 <= year <= this_year + 1:
        raise BadRequest(_("年份无效：%(y)s", y=raw[:20]), {"year": _("2000 至 %(max)s 之间的年份", max=this_year + 1)})
    return year


def _size() -> str:
    """?size=phone: the chart drawn for a phone held upright (pages ask for it under 720 px); 400 otherwise."""
    size = request.args.get("size") or "page"
    if size not in charts.SIZES:
        raise BadRequest(_("size 只能是 page 或 phone。"), {"size": "page, phone"})
    return size


def _respond(name: str, params: tuple, fmt: str, load: Callable[[], dict]) -> Response:
    """The chart `name` for `params`: 304, a cached body, or a fresh rendering of `load()`."""
    font, size = chart_font(), _size()
    key = (name, params, fmt, size, chart_data.data_version(), font.family if font else None)
    tag = etag(key)
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": f'"{tag}"'}
    if request.if_none_match.contains(tag):
        return Response(status=304, headers=headers)
    body = CACHE.get(key)
    if body is None:
        body = charts.chart_bytes(name, load(), fmt, size)
        CACHE.put(key, body)
    return Response(body, mimetype=charts.FORMATS[fmt], headers=headers)


@bp.get(f"/project/<int:project_id>/output.{FMT}")
def project_output(project_id: int, fmt: str):
    """A project's monthly output value in ?year= against last year and the annual target."""
    project = catalog.get_project(project_id, current_user)
    year = _year()
    return _respond("output", (project.id, year), fmt, lambda: chart_data.project_output(project, year))


@bp.get(f"/project/<int:project_id>/yield.{FMT}")
def project_yield(project_id: int, fmt: str):
    """A project's yield per unit of capacity, year by year."""
    project = catalog.get_project(project_id, current_user)
    return _respond("yield", (project.id,), fmt, lambda: chart_data.project_yield(project))


@bp.get(f"/village/<code>/benefit.{FMT}")
def village_benefit(code: str, fmt: str):
    """How the village's household payouts in ?year= are spread, 脱贫户 highlighted."""
    village = catalog.get_village(code, current_user)
    year = _year()
    return _respond("benefit", (village.id, year), fmt, lambda: chart_data.village_benefit(village, year))


@bp.get(f"/compare.{FMT}")
def compare(fmt: str):
    """Villages (?by=town: towns) under ?area= ranked by ?metric= in ?year=."""
    area = catalog.get_area(request.args.get("area"), current_user)
    year = _year()
    metric = request.args.get("metric", "collective_income")
    by = request.args.get("by", "village")
    if by not in ("village", "town"):
        raise BadRequest(_("by 只能是 village 或 town。"), {"by": "village, town"})
    compared_metric(metric)
    # Once the area is inside the user's scope every user sees the same villages of it.
    return _respond(
        "compare", (area.id, year, metric, by), fmt, lambda: chart_data.comparison(current_user, area, year, metric, by)
    )


@bp.errorhandler(DomainError)
def _refused(err: DomainError):
    """A refusal as an image with the right status, so an <img> shows the reason."""
    db.session.rollback()
    fmt = (request.view_args or {}).get("fmt", "png")
    body = render(lambda: empty_figure("", err.message), fmt)
    return Response(body, status=err.status, mimetype=charts.FORMATS[fmt], headers={"Cache-Control": "no-store"})
