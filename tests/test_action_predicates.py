"""Buttons vs operations: a page offers an action exactly when its operation allows it.

For every entry state × month (open, closed, closed with the current month closed too) the world
is built once; then for each caller the real pages are rendered (the entry's page, and the review
queue for the secretary) and their action forms and links read, and each operation is run and
undone (`allowed`). The two must agree for every action. The same for every plan state on the
plan's page, and for an import batch's "submit all". Both sides ask the predicates of `coopapp.ledger.permissions` and
`coopapp.distributions.permissions`, so this guards against a page or an operation that stops
asking them.
"""

import re
from decimal import Decimal

import pytest
from flask import current_app, url_for

from coopapp.access import sessions
from coopapp.core.tx import atomic
from coopapp.distributions import plans as distributions
from coopapp.distributions.plans import DeductionInput, PlanInput
from coopapp.errors import Conflict, Forbidden, Invalid
from coopapp.extensions import db
from coopapp.imports import batches
from coopapp.ledger import operations as ledger
from coopapp.models import ClosedMonth, ImportBatch, LedgerEntry, User

from .builders import TOWN_TIER, add_user, approved_entry, built_once, county_settings, entry_input, seen_ahead

# caller → the world's user: the author of the entries, a colleague, the village secretary, the
# town reviewer, the accountant and the secretary of a foreign village, the administrator.
CALLERS = {
    "author": "accountant",
    "colleague": "colleague",
    "secretary": "secretary",
    "reviewer": "town_reviewer",
    "foreign_accountant": "other_accountant",
    "foreign_secretary": "other_secretary",
    "admin": "admin",
    "town": "town_accountant",
}
ENTRY_STATES = (
    "draft",
    "submitted",
    "awaiting_town",
    "approved",
    "returned",
    "void",
    "reversed",
    "reversal",
    "returned_reversal",
)
PLAN_STATES = ("draft", "approved", "awaiting_town", "published", "published_lines_reversed", "reversed")
# open: nothing closed; closed: the month of the entries and plans; closed_now: that and the current
# month, which only matters where a reversal would land in the current month.
MONTHS = ("open", "closed", "closed_now")
ENTRY_CASES = [(s, m) for s in ENTRY_STATES for m in MONTHS[:2]] + [("approved", "closed_now")]
PLAN_CASES = [(s, m) for s in PLAN_STATES for m in MONTHS[:2]]
PLAN_CASES += [("published", "closed_now"), ("published_lines_reversed", "closed_now")]
REASON = "核对有误"
ACTION_URL = re.compile(r'(?:action|href)="([^"]+)"')


def previous_month(period: str) -> str:
    """The YYYY-MM month before `period`."""
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def path(endpoint: str, **values) -> str:
    """The URL of an endpoint, as the pages write it."""
    with current_app.test_request_context():
        return url_for(endpoint, **values)


class _Undo(Exception):
    """Raised with an operation's result once it succeeded, so that `atomic` rolls it back."""


@atomic
def _undone(operation) -> None:
    raise _Undo(operation())  # nested in this one, the operation does not commit


def attempt(operation) -> tuple[bool, object]:
    """(True, its result) if the operation succeeds, (False, None) if it is refused (Forbidden,
    Conflict or Invalid); it is undone either way."""
    try:
        _undone(operation)
    except _Undo as done:
        return True, done.args[0]
    except (Forbidden, Conflict, Invalid):
        return False, None
    raise AssertionError("unreachable: _undone always raises")


def allowed(operation) -> bool:
    """Does the operation succeed? (It is undone.)"""
    return attempt(operation)[0]


def close_months(world, months: str) -> str:
    """Close the month of the built entries and plans (and the current one for `closed_now`)."""
    period = entry_input(world.project).period
    closing = {"open": [], "closed": [period], "closed_now": [period, ledger.current_period()]}[months]
    for p in closing:
        db.session.add(ClosedMonth(village_id=world.village.id, period=p, closed_by_id=world.users["secretary"].id))
    db.session.commit()
    return period


def shown(clients: dict, caller: str, page: str) -> set[str]:
    """The action forms and links of the page at `page` as `caller` sees it (none when refused)."""
    resp = clients[caller].get(page)
    if resp.status_code in (403, 404):
        return set()
    assert resp.status_code == 200, (caller, page, resp.status_code)
    return set(ACTION_URL.findall(resp.get_data(as_text=True)))


@pytest.fixture()
def clients(app, world):
    """A signed-in test client per caller (the colleague is a second accountant of the village), the
    users and their sessions made once per run (logging in is tested in test_accounts.py)."""
    made = built_once("predicate_callers", lambda: _callers(world), on_top=True)
    world.users["colleague"] = db.session.get(User, made["colleague"])
    world.users["town_accountant"] = db.session.get(User, made["town_accountant"])
    out = {}
    for caller, (user_id, key) in made["sessions"].items():
        client = app.test_client()
        with client.session_transaction() as sess:
            sess.update({"_user_id": user_id, "_fresh": True, sessions.SESSION_KEY: key})
        out[caller] = client
    return out


def _callers(world) -> dict:
    colleague = add_user("acc3", "accountant", world.village)
    town_accountant = add_user("tacc", "town_accountant", world.town_a)
    db.session.commit()
    users = {**world.users, "colleague": colleague, "town_accountant": town_accountant}
    made = {
        "colleague": colleague.id,
        "town_accountant": town_accountant.id,
        "sessions": {
            caller: (users[key].get_id(), sessions.start_session(users[key])) for caller, key in CALLERS.items()
        },
    }
    seen_ahead()
    return made


def build_entry(world, state: str) -> LedgerEntry:
    """An entry of the previous month in `state`, made through the operations."""
    acc, sec = world.users["accountant"], world.users["secretary"]
    if state in ("approved", "reversed", "reversal", "returned_reversal"):
        entry = approved_entry(world)
        if state == "approved":
            return entry
        reversal = ledger.reverse_entry(acc, entry, "金额录错")
        if state == "returned_reversal":
            ledger.return_entry(sec, reversal, "请写清原因")
        return entry if state == "reversed" else reversal
    if state == "awaiting_town":  # the county's tier sends the secretary's approval on to the town
        county_settings(world, tiers=[TOWN_TIER])
        entry = ledger.create_entry(acc, entry_input(world.project, kind="cost", amount_fen=2_000_000))
        ledger.submit_entry(acc, entry)
        return ledger.approve_entry(sec, entry)
    entry = ledger.create_entry(acc, entry_input(world.project))
    if state == "void":
        ledger.void_entry(acc, entry)
    elif state in ("submitted", "returned"):
        ledger.submit_entry(acc, entry)
        if state == "returned":
            ledger.return_entry(sec, entry, "请补发票")
    return entry


def entry_operations(world, entry: LedgerEntry, open_month: str) -> dict:
    """action → (URL of its button, the operation for a user). An edit moves the entry to an open month."""
    edit = entry_input(world.project, period=open_month)
    return {
        "edit": (path("ledger.edit_entry", entry_id=entry.id), lambda u: ledger.update_entry(u, entry, edit)),
        "submit": (path("ledger.submit", entry_id=entry.id), lambda u: ledger.submit_entry(u, entry)),
        "void": (path("ledger.void", entry_id=entry.id), lambda u: ledger.void_entry(u, entry)),
        "approve": (path("review.approve", entry_id=entry.id), lambda u: ledger.approve_entry(u, entry)),
        "return": (path("review.return_entry", entry_id=entry.id), lambda u: ledger.return_entry(u, entry, REASON)),
        "reverse": (path("ledger.reverse", entry_id=entry.id), lambda u: ledger.reverse_entry(u, entry, REASON)),
    }


@pytest.mark.parametrize(("state", "months"), ENTRY_CASES)
def test_entry_buttons_match_the_operations(world, clients, state, months):
    entry = build_entry(world, state)
    period = close_months(world, months)
    operations = entry_operations(world, entry, previous_month(period))
    page, queues = path("ledger.entry", entry_id=entry.id), {"secretary": "review.queue", "town": "town.queue"}
    mismatches, offered = [], set()
    for caller, key in CALLERS.items():
        user = world.users[key]
        on_page = shown(clients, caller, page)
        on_queue = shown(clients, caller, path(queues[caller])) if caller in queues else None
        for action, (url, operation) in operations.items():
            may = allowed(lambda op=operation, u=user: op(u))
            if may:
                offered.add((caller, action))
            if (url in on_page) != may:
                mismatches.append(f"{caller} {action}: page shows {url in on_page}, operation allows {may}")
            if on_queue is not None and action in ("approve", "return") and (url in on_queue) != may:
                mismatches.append(f"{caller} {action}: queue shows {url in on_queue}, operation allows {may}")
    assert not mismatches, f"{state} entry, {months} month:\n" + "\n".join(mismatches)
    assert offered == EXPECTED_ENTRY_ACTIONS[state, months]


# What the matrix above finds allowed, written out, so that the rules themselves are asserted too.
_AUTHOR_DRAFT = {("author", "edit"), ("author", "submit"), ("author", "void")}
_REVIEW = {("secretary", "approve"), ("secretary", "return")}
_REVERSE = {("author", "reverse"), ("colleague", "reverse")}
EXPECTED_ENTRY_ACTIONS = {
    ("draft", "open"): _AUTHOR_DRAFT,  # not the colleague: only the author submits (the case)
    # the author may still move a draft of a closed month to an open one, or void it; not submit it
    ("draft", "closed"): _AUTHOR_DRAFT - {("author", "submit")},
    ("returned", "open"): _AUTHOR_DRAFT,
    ("returned", "closed"): _AUTHOR_DRAFT - {("author", "submit")},
    ("submitted", "open"): _REVIEW,
    ("submitted", "closed"): {("secretary", "return")},  # approving writes into the month, returning does not
    # past the secretary, the town's stage: only the town accountant reviews it (its own queue too)
    ("awaiting_town", "open"): {("town", "approve"), ("town", "return")},
    ("awaiting_town", "closed"): {("town", "return")},
    ("approved", "open"): _REVERSE,
    # a reversal of an entry of a closed month lands in the current month, unless that is closed too
    ("approved", "closed"): _REVERSE,
    ("approved", "closed_now"): set(),
    ("void", "open"): set(),
    ("void", "closed"): set(),
    ("reversed", "open"): set(),
    ("reversed", "closed"): set(),
    ("reversal", "open"): _REVIEW,
    ("reversal", "closed"): {("secretary", "return")},
    ("returned_reversal", "open"): {("author", "submit"), ("author", "void")},  # a reversal is never edited
    ("returned_reversal", "closed"): {("author", "void")},
}


def build_plan(world, state: str):
    """A plan of the previous month (a collective share and a listed share per household) in `state`."""
    sec, acc = world.users["secretary"], world.users["accountant"]
    if state == "awaiting_town":  # the county asks for the town above 5,000 yuan: this plan is 10,000
        county_settings(world, plan_town_approval_above_fen=500_000)
    data = PlanInput(
        world.project.id,
        entry_input(world.project).period,
        1_000_000,
        "fixed",
        [DeductionInput("collective", percent_bp=1000)],
        fixed=[(h.id, Decimal(1)) for h in world.households],
    )
    plan = distributions.draft_plan(sec, data)
    if state != "draft":
        distributions.approve_plan(sec, plan)
    if state in ("published", "published_lines_reversed", "reversed"):
        distributions.publish_plan(sec, plan)
    if state == "published_lines_reversed":  # each line corrected on its own (e.g. after objections)
        for entry in distributions.posted_entries(plan):
            ledger.reverse_entry(acc, entry, "更正")
    if state == "reversed":
        distributions.reverse_plan(sec, plan, "股份名单有误")
    return plan


@pytest.mark.parametrize(("state", "months"), PLAN_CASES)
def test_plan_buttons_match_the_operations(world, clients, state, months):
    plan = build_plan(world, state)
    close_months(world, months)
    operations = {
        "approve": ("distributions.approve", distributions.approve_plan),
        "delete": ("distributions.delete", distributions.discard_plan),
        "publish": ("distributions.publish", distributions.publish_plan),
        "reverse": ("distributions.reverse", lambda u, p: distributions.reverse_plan(u, p, REASON)),
        "town_approve": ("distributions.town_approve", distributions.town_approve_plan),
        "town_return": ("distributions.town_return", lambda u, p: distributions.town_return_plan(u, p, REASON)),
    }
    page = path("distributions.plan", plan_id=plan.id)
    mismatches, offered = [], set()
    for caller, key in CALLERS.items():
        user = world.users[key]
        on_page = shown(clients, caller, page)
        for action, (endpoint, operation) in operations.items():
            url = path(endpoint, plan_id=plan.id)
            may = allowed(lambda op=operation, u=user: op(u, plan))
            if may:
                offered.add(action)
                assert caller == ("town" if action.startswith("town_") else "secretary"), (caller, action)
            if (url in on_page) != may:
                mismatches.append(f"{caller} {action}: page shows {url in on_page}, operation allows {may}")
    assert not mismatches, f"{state} plan, {months} month:\n" + "\n".join(mismatches)
    assert offered == EXPECTED_PLAN_ACTIONS[state, months]


EXPECTED_PLAN_ACTIONS = {
    # approving or deleting writes nothing into the month; publishing does
    ("draft", "open"): {"approve", "delete"},
    ("draft", "closed"): {"approve", "delete"},
    ("approved", "open"): {"delete", "publish"},
    ("approved", "closed"): {"delete"},
    # a plan above the county's pool size: the town approves or returns it (in any month), not the secretary
    ("awaiting_town", "open"): {"delete", "town_approve", "town_return"},
    ("awaiting_town", "closed"): {"delete", "town_approve", "town_return"},
    # the reversals land in the current month when the plan's is closed, and are refused when both are…
    ("published", "open"): {"reverse"},
    ("published", "closed"): {"reverse"},
    ("published", "closed_now"): set(),
    # …unless every entry was already reversed on its own: then nothing lands anywhere
    ("published_lines_reversed", "open"): {"reverse"},
    ("published_lines_reversed", "closed"): {"reverse"},
    ("published_lines_reversed", "closed_now"): {"reverse"},
    ("reversed", "open"): set(),
    ("reversed", "closed"): set(),
}


@pytest.mark.parametrize("months", MONTHS[:2])
def test_batch_submit_button_matches_the_operation(world, clients, months):
    """An import batch's "submit all" button: only its author, only when none of its months is closed."""
    acc = world.users["accountant"]
    batch = ImportBatch(
        kind="ledger", target_id=world.project.id, file_name="台账.csv", content_sha256="0" * 64, created_by_id=acc.id
    )
    db.session.add(batch)
    db.session.flush()
    period = entry_input(world.project).period
    for p in (previous_month(period), period):
        entry = ledger.create_entry(acc, entry_input(world.project, period=p))
        entry.import_batch_id = batch.id
    db.session.commit()
    close_months(world, months)
    url = path("imports.submit_batch", batch_id=batch.id)
    page = path("imports.batch", batch_id=batch.id)
    offered = set()
    for caller in ("author", "colleague"):
        user = world.users[CALLERS[caller]]
        submitted = attempt(lambda u=user: batches.submit_batch(u, batch))[1] or 0
        assert (url in shown(clients, caller, page)) == (submitted > 0), (caller, submitted)
        if submitted:
            offered.add(caller)
    assert offered == ({"author"} if months == "open" else set())


@pytest.mark.parametrize("months", MONTHS[:2])
def test_batch_approve_button_matches_the_operation(world, clients, months):
    """A submitted batch's 全部通过: only the village's secretary, only when every entry may be approved
    (`approve_refusal`, the one-entry predicate: here, none of its months closed)."""
    acc = world.users["accountant"]
    batch = ImportBatch(
        kind="ledger", target_id=world.project.id, file_name="台账.csv", content_sha256="1" * 64, created_by_id=acc.id
    )
    db.session.add(batch)
    db.session.flush()
    period = entry_input(world.project).period
    for p in (previous_month(period), period):
        entry = ledger.create_entry(acc, entry_input(world.project, period=p))
        entry.import_batch_id = batch.id
    db.session.commit()
    batches.submit_batch(acc, batch)
    close_months(world, months)
    url = path("imports.approve_batch", batch_id=batch.id)
    page = path("imports.batch", batch_id=batch.id)
    offered = set()
    for caller, key in CALLERS.items():
        approved = attempt(lambda u=world.users[key]: batches.approve_batch(u, batch))[1] or 0
        assert (url in shown(clients, caller, page)) == (approved > 0), (caller, approved)
        if approved:
            offered.add(caller)
    assert offered == ({"secretary"} if months == "open" else set())
