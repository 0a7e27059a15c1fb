"""A village's year and the ranked comparison of villages."""

import orjson
from flask import Response, current_app, jsonify, request
from flask_babel import get_locale

from coopapp.api.common import bp, user, year_arg
from coopapp.api.serializers import jsonable
from coopapp.charts.cache import ChartCache
from coopapp.core import gcpause
from coopapp.reporting import comparison, metrics
from coopapp.reporting.chart_data import data_version
from coopapp.reporting.metric_table import compared_metric
from coopapp.villages import catalog


@bp.get("/villages/<code>/summary")
def village_summary(code: str):
    """Headline metrics of a village's year (?year=YYYY) and one row per project."""
    me = user()
    village = catalog.get_village(code, me)
    return jsonify(jsonable(metrics.village_summary(village, year_arg())))


# Answers of /compare by (data version, user, area, filters, metric): the audit chain's length
# changes with every approval, roster or project edit, so a cached answer is never out of date
# for audited changes (see README → charts for what is not audited). Each process keeps its own.
COMPARE_CACHE = ChartCache(max_entries=64, max_bytes=64 * 1024 * 1024)


@bp.get("/compare")
def compare():
    """Villages under ?area (default: the caller's scope) ranked by ?metric for ?year.

    Optional filters as on the comparison page: ?town=CODE, ?type=PROJECT_TYPE, ?weak=YUAN
    (the weak-village threshold). Each row carries the page's columns: yield per unit, its peer
    group and median, the outlier flag, attainment, the weak flag.
    """
    me = user()
    area = catalog.get_area(request.args.get("area"), me)
    year, metric = year_arg(), request.args.get("metric") or "collective_income"
    compared_metric(metric)
    f, _problems = comparison.filters_from(request.args, year, strict=True)
    threshold = f.weak_below_fen if f.weak_below_fen is not None else current_app.config["WEAK_VILLAGE_THRESHOLD_FEN"]
    key = (data_version(), str(get_locale()), me.id, me.role, me.area_id, area.id, f, metric, threshold)
    body = COMPARE_CACHE.get(key)
    if body is None:
        with gcpause.paused():  # (a county's answer is ~100,000 objects, none of them in a cycle)
            rows = comparison.compare_rows(me, area, f, metric)
            answer = {
                "area": area.code,
                "area_name": area.name,
                "year": year,
                "metric": metric,
                "weak_below_fen": threshold,
                "rows": rows,
            }
            # orjson: the county's answer is ~800 KB; the standard encoder spent ~10 ms on it. Keys
            # in the rows' own order (code, name, town, the figures…), not sorted: sorting 300
            # rows' keys cost half as much again as writing them.
            body = orjson.dumps(jsonable(answer), option=orjson.OPT_NON_STR_KEYS)
            # Freed here, while the collector is still off: back on, it finds the few objects
            # left, not a walk over the whole answer.
            del rows, answer
        COMPARE_CACHE.put(key, body)
    return Response(body, mimetype="application/json")
