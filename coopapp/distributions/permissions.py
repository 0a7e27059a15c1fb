"""What a user may do to a distribution plan now: one predicate per action, asked by the operation and by its button.

As for entries (`coopapp.ledger.permissions`): each `*_refusal` returns the error its operation
raises, or None when the action is allowed; the plan's page shows a button only when it is None.
Publishing writes into the plan's month, so a closed month refuses it; approving and deleting do
not write into the ledger; a reversal lands in the plan's month if open, else in the current month.
"""

from flask_babel import gettext as _

from coopapp import settings
from coopapp.access.scope import forbidden
from coopapp.core.vocabulary import PLAN_STATUSES
from coopapp.errors import Conflict
from coopapp.ledger import operations as ledger
from coopapp.ledger.permissions import Refusal, closed_month, is_closed, reversal_period
from coopapp.models import Distribution, User


def approve_refusal(user: User, plan: Distribution) -> Refusal:
    """The secretary approves a draft (the preview): from then on it cannot change."""
    refusal = forbidden(user, "distribute", plan.village)
    if refusal is not None:
        return refusal
    if plan.status != "draft":
        return Conflict(_("只有草拟中的方案可以审批（当前：%(s)s）。", s=PLAN_STATUSES.label(plan.status)))
    return None


def needs_town(plan: Distribution) -> bool:
    """Does the county ask for the town accountant's approval of this plan (its pool above the county's
    `plan_town_approval_above_fen`)? Without that setting, the secretary alone approves."""
    above = settings.for_area(plan.village).plan_town_approval_above_fen
    return above is not None and plan.pool_fen > above


def awaits_town(plan: Distribution) -> bool:
    """Does an approved plan wait for the town accountant's approval before it can be published?"""
    return plan.status == "approved" and plan.town_approved_by_id is None and needs_town(plan)


def town_approve_refusal(user: User, plan: Distribution) -> Refusal:
    """The town accountant approves a plan the secretary approved, when the county asks for it."""
    refusal = forbidden(user, "town_review", plan.village)
    if refusal is not None:
        return refusal
    if plan.status != "approved":
        return Conflict(_("方案须先由村书记审批，才能由镇审批（当前：%(s)s）。", s=PLAN_STATUSES.label(plan.status)))
    if plan.town_approved_by_id is not None:
        return Conflict(_("该方案镇已审批。"))
    if not needs_town(plan):
        return Conflict(_("该方案的分配总额未超过县定标准，不需要镇审批。"))
    return None


def town_return_refusal(user: User, plan: Distribution) -> Refusal:
    """The town accountant sends back a plan waiting for it (with a reason), as it would approve it."""
    return town_approve_refusal(user, plan)


def discard_refusal(user: User, plan: Distribution) -> Refusal:
    """The secretary deletes a plan that is not published (in any month: nothing was posted)."""
    refusal = forbidden(user, "distribute", plan.village)
    if refusal is not None:
        return refusal
    if plan.status not in ("draft", "approved"):
        return Conflict(_("只有未公布的方案可以删除。"))
    return None


def publish_refusal(user: User, plan: Distribution) -> Refusal:
    """The secretary publishes an approved plan of an open month (its entries are posted in it)."""
    refusal = forbidden(user, "distribute", plan.village)
    if refusal is not None:
        return refusal
    if plan.status == "published":
        return Conflict(_("该方案已经公布过。"))
    if plan.status != "approved":
        return Conflict(_("方案须先审批才能公布（当前：%(s)s）。", s=PLAN_STATUSES.label(plan.status)))
    if awaits_town(plan):
        return Conflict(_("分配总额超过县定标准，须经镇三资代理会计审批后才能公布。"))
    if is_closed(plan.village_id, plan.period):
        return closed_month(plan.period)
    return None


def posted_entry_ids(plan: Distribution) -> list[int]:
    """The ids of the ledger entries a published plan posted: one per paid line, the collective's share."""
    ids = [ln.entry_id for ln in plan.lines if ln.entry_id]
    return ids + ([plan.collective_entry_id] if plan.collective_entry_id else [])


def reverse_refusal(user: User, plan: Distribution) -> Refusal:
    """The secretary reverses a published plan; the reversals of its entries not yet reversed one
    by one must land in an open month."""
    refusal = forbidden(user, "distribute", plan.village)
    if refusal is not None:
        return refusal
    if plan.status != "published":
        return Conflict(_("只有已公布的方案可以整体冲销（当前：%(s)s）。", s=PLAN_STATUSES.label(plan.status)))
    lands_in = reversal_period(plan, ledger.current_period())
    if is_closed(plan.village_id, lands_in):
        ids = posted_entry_ids(plan)
        if len(ledger.reversal_ids(ids)) < len(ids):
            return closed_month(lands_in)
    return None


def plan_actions(user: User, plan: Distribution) -> dict[str, bool]:
    """action → may `user` do it to `plan` now? The buttons of the plan's page."""
    return {
        "approve": approve_refusal(user, plan) is None,
        "town_approve": town_approve_refusal(user, plan) is None,
        "town_return": town_return_refusal(user, plan) is None,
        "delete": discard_refusal(user, plan) is None,
        "publish": publish_refusal(user, plan) is None,
        "reverse": reverse_refusal(user, plan) is None,
    }
