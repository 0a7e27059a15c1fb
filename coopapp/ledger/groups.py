"""Village-group books (组账村代记): which village group (村民小组) an entry belongs to."""

from flask_babel import gettext as _
from sqlalchemy import select

from coopapp.errors import Invalid
from coopapp.extensions import db
from coopapp.models import Area, Project


def village_groups(village_id: int) -> list[Area]:
    """The village's groups (村民小组), by code."""
    q = select(Area).where(Area.parent_id == village_id, Area.level == "group").order_by(Area.code)
    return list(db.session.scalars(q))


def retired_group_refusal(group: Area, keep_id: int | None = None) -> str | None:
    """Why `group` may not be given to a household, a project or an entry: it is retired (撤销) —
    unless it is the one the row already has (`keep_id`), which stays as it was."""
    if group.retired and group.id != keep_id:
        return _("村民小组已撤销：%(n)s，请选择本村其他小组。", n=group.name)
    return None


def offered_groups(village_id: int, keep_id: int | None = None) -> list[Area]:
    """The groups a form offers for a row of the village: the retired ones left out, but the row's own."""
    return [g for g in village_groups(village_id) if retired_group_refusal(g, keep_id) is None]


class GroupNames:
    """The groups of one project's village by code and by name, looked up once when first asked
    (a bulk load keeps one for all its rows)."""

    def __init__(self, project: Project):
        self.project = project
        self.groups: dict[str, Area] | None = None

    def group_of(self, group: str | None, keep_id: int | None = None) -> int | None:
        """The id of the village group an entry of the project belongs to: the project's own group
        if it has one, else the group named by `group` (its code or name, among this village's
        groups), else None. Refuses (Invalid naming `group`) a group that is not one of the
        village's, a retired one (but the entry's own, `keep_id`), or another group than the project's."""
        group = (group or "").strip()
        project = self.project
        if not group:
            return project.group_id
        if self.groups is None:
            self.groups = {}
            for area in village_groups(project.village_id):
                self.groups.setdefault(area.name, area)
                self.groups[area.code] = area
        found = self.groups.get(group)
        if found is None:
            message = _("本村没有这个村民小组：%(g)s", g=group)
            raise Invalid(message, {"group": message})
        message = retired_group_refusal(found, keep_id)
        if message is not None:
            raise Invalid(message, {"group": message})
        if project.group_id is not None and found.id != project.group_id:
            message = _("该项目属于%(g)s，其台账记入该组。", g=project.group.name)
            raise Invalid(message, {"group": message})
        return found.id
