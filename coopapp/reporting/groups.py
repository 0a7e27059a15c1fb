"""A village group's books (组账村代记) as its page shows them: the year's figures by month and by
project, read from the group summaries (never from the raw ledger)."""

from sqlalchemy import func, select

from coopapp.disclosure import operations as disclosure
from coopapp.extensions import db
from coopapp.models import Area, GroupMonthlySummary, Project


def group_board(group: Area, year: int) -> dict:
    """The group's approved figures of `year`: one row per month, the year's total, and per project
    the amount of each kind (one query for the projects, the figures as the notice computes them)."""
    q = (
        select(Project.id, Project.name, GroupMonthlySummary.kind, func.sum(GroupMonthlySummary.amount_fen))
        .join(Project, Project.id == GroupMonthlySummary.project_id)
        .where(GroupMonthlySummary.group_id == group.id, GroupMonthlySummary.year == year)
        .group_by(Project.id, Project.name, GroupMonthlySummary.kind)
        .order_by(Project.id)
    )
    projects: dict[int, dict] = {}
    for project_id, name, kind, amount in db.session.execute(q):
        row = projects.setdefault(project_id, {"id": project_id, "name": name, "amounts": {}})
        row["amounts"][kind] = int(amount or 0)
    return {
        "rows": disclosure.year_table(group, year, quarterly=False),
        "total": disclosure.period_figures(group, disclosure.Period(year, 1, 12)),
        "projects": list(projects.values()),
    }
