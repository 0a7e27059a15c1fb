"""A project's annual targets, one row per year: each year is judged by its own plan."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.access import audit
from coopapp.access.scope import authorize
from coopapp.core.tx import atomic
from coopapp.errors import Invalid
from coopapp.extensions import db
from coopapp.ledger.operations import today
from coopapp.models import LedgerEntry, Project, ProjectTarget, User

MAX_TARGET_YEAR_AHEAD = 1  # next year's plan may be entered; no further


def first_year(project: Project) -> int:
    """The first year the project existed: its first ledger entry's, or this year when it
    has none before (a project's targets start when it does)."""
    first_period = db.session.scalar(select(func.min(LedgerEntry.period)).where(LedgerEntry.project_id == project.id))
    this_year = today().year
    return min(this_year, int(first_period[:4])) if first_period else this_year


def target_years(project: Project) -> list[int]:
    """The years a target may be set for, newest first: from the project's first year to next year."""
    return list(range(today().year + MAX_TARGET_YEAR_AHEAD, first_year(project) - 1, -1))


def _check(project: Project, year: int, output_fen: int | None, income_fen: int | None) -> None:
    errors = {}
    start, last = first_year(project), today().year + MAX_TARGET_YEAR_AHEAD
    if year < start:
        errors["year"] = _("%(y)s 年项目尚未开始（最早可设 %(s)s 年的目标）。", y=year, s=start)
    elif year > last:
        errors["year"] = _("最远只能设到 %(y)s 年的目标。", y=last)
    if (output_fen or 0) < 0:
        errors["output"] = _("目标不能为负数。")
    if (income_fen or 0) < 0:
        errors["collective_income"] = _("目标不能为负数。")
    if errors:
        raise Invalid(_("请改正标出的字段。"), errors)


def apply_target(user: User, project: Project, year: int, output_fen: int | None, income_fen: int | None):
    """Set the project's targets for `year` inside the caller's transaction, audited; returns
    the target row (None when there was none and both figures are empty). Unchanged: no event."""
    _check(project, year, output_fen, income_fen)
    target = project.target_for(year)
    if target is None:
        if output_fen is None and income_fen is None:
            return None
        target = ProjectTarget(project=project, year=year)
        db.session.add(target)
        action = "project_target.create"
    elif (target.output_fen, target.collective_income_fen) == (output_fen, income_fen):
        return target
    else:
        action = "project_target.update"
    target.output_fen, target.collective_income_fen = output_fen, income_fen
    db.session.flush()
    audit.record(user, action, target)
    return target


@atomic
def set_target(user: User, project: Project, year: int, output_fen: int | None, income_fen: int | None):
    """The village secretary (or an admin) sets a project's targets for one year."""
    authorize(user, "set_targets", project.village)
    return apply_target(user, project, year, output_fen, income_fen)
