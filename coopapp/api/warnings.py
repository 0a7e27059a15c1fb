"""Warnings (预警) on entries: `GET /api/v1/warnings?area=CODE`."""

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.api.common import bp, int_arg, user
from coopapp.core.vocabulary import WARNING_RULES
from coopapp.errors import BadRequest
from coopapp.extensions import db
from coopapp.ledger import warnings
from coopapp.villages import catalog

MAX_PER_PAGE = 200


def warning_json(warning, entry, village) -> dict:
    """One warning as the API gives it."""
    return {
        "id": warning.id,
        "rule": warning.rule,
        "entry_id": entry.id,
        "village": village.code,
        "message": warnings.message(warning),
        "created_at": warning.created_at.isoformat(timespec="seconds") + "Z",
    }


@bp.get("/warnings")
def list_warnings():
    """The warnings of the entries under `?area=CODE` (default: the caller's area), newest first
    (?rule, ?page, ?per_page)."""
    me = user()
    area = catalog.get_area(request.args.get("area") or None, me)
    rule = request.args.get("rule") or None
    if rule is not None and rule not in WARNING_RULES:
        raise BadRequest(_("未知的预警规则：%(r)s", r=rule), {"rule": _("可选：%(all)s", all=", ".join(WARNING_RULES))})
    page, per_page = int_arg("page", 1, high=1_000_000), int_arg("per_page", 50, high=MAX_PER_PAGE)
    q = warnings.warnings_query(me, area, rule=rule)
    total = db.session.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
    rows = db.session.execute(q.limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify({"items": [warning_json(*row) for row in rows], "page": page, "per_page": per_page, "total": total})
