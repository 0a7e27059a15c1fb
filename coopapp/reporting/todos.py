"""Work comes to the user: each role's to-do lists for the home page, gathered from the domains'
own queries (ledger.queries, distributions.objections, disclosure.due, access.users) — each
scoped by the one scope check and aggregated, so a county's villages cost a fixed number of
queries. The page only shows what is here; it counts nothing itself."""

from dataclasses import dataclass, field

from coopapp.access import users
from coopapp.access.scope import home_village
from coopapp.disclosure import due
from coopapp.distributions import objections
from coopapp.distributions import plans as distributions
from coopapp.ledger import operations as ledger
from coopapp.ledger import queries, reopening
from coopapp.models import Area, User
from coopapp.reporting import groups


@dataclass
class Todos:
    """The to-dos of one user's home. Lists a role has no use for stay empty (zero)."""

    role: str
    village: Area | None = None
    # accountant
    returned: int = 0
    returned_rows: list[queries.ReturnedEntry] = field(default_factory=list)
    drafts: int = 0
    # secretary
    waiting: queries.Waiting = field(default_factory=lambda: queries.Waiting(0, []))
    objections: int = 0
    returned_plans: int = 0  # sent back by the town
    closable: int = 0
    closable_rows: list[queries.ClosableMonth] = field(default_factory=list)
    notices: list[due.NoticeDue] = field(default_factory=list)
    # town accountant: the town's queue (entries awaiting the town, 反结账 requests, large plans)
    town_waiting: queries.Waiting = field(default_factory=lambda: queries.Waiting(0, []))
    reopenings: int = 0
    town_plans: int = 0
    # reviewer
    overdue: int = 0
    overdue_rows: list = field(default_factory=list)
    # admin
    held_back: int = 0
    in_retired_areas: int = 0
    # group leader: their group's figures this year (no to-dos: they read, they do not write)
    group_board: dict | None = None
    year: int = 0

    @property
    def total(self) -> int:
        """Everything waiting for this user (0: nothing to do)."""
        return (
            self.returned
            + self.drafts
            + self.waiting.count
            + self.objections
            + self.returned_plans
            + self.closable
            + len(self.notices)
            + self.town_waiting.count
            + self.reopenings
            + self.town_plans
            + self.overdue
            + self.held_back
            + self.in_retired_areas
        )


def todos_for(user: User) -> Todos:
    """The to-dos of `user`'s home page, by role."""
    todos = Todos(user.role, village=home_village(user))
    if user.role == "accountant":
        todos.returned, todos.returned_rows = queries.returned_entries(user)
        todos.drafts = queries.draft_count(user)
    elif user.role == "secretary":
        todos.waiting = queries.awaiting_review(user)
        todos.objections, _oldest = objections.open_objections(user)
        todos.returned_plans = distributions.returned_by_town(user)
        todos.closable, todos.closable_rows = queries.closable_months(user, before=ledger.current_period())
        todos.notices = due.notices_due(user)
    elif user.role == "town_accountant":
        todos.town_waiting = queries.awaiting_review(user, status="awaiting_town")
        todos.reopenings = len(reopening.pending_for(user))
        todos.town_plans = len(distributions.awaiting_town(user))
    elif user.role == "reviewer":
        rows = due.overdue_disclosures(user)
        todos.overdue, todos.overdue_rows = len(rows), rows[: due.OVERDUE_SHOWN]
    elif user.role == "group_leader" and user.area.level == "group":
        todos.year = ledger.today().year
        todos.group_board = groups.group_board(user.area, todos.year)
    elif user.role == "admin":
        todos.held_back = users.held_back_users(user)
        todos.in_retired_areas = users.users_in_retired_areas(user)
    return todos
