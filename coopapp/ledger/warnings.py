"""Warnings (预警): what a reviewer should look at twice. None of them blocks what the rules allow.

Each rule is one function of an entry and the county's settings (`coopapp.settings.for_area`) that
returns the figures of its warning, or None. `raise_warnings` runs them when an entry is saved as a
draft, submitted or created as a reversal, and replaces the entry's earlier warnings; the message is
written at read time from the rule and its figures, in the reader's language (`message`).

The rules (their labels: `core.vocabulary.WARNING_RULES`):

- banned_category: the entry names a category the county bans (submitting it is refused; the
  warning tells the accountant on the draft, and the reviewer of an entry submitted before the ban);
- cap_exceeded: the village's non-productive spending of the year, approved and this entry, passes
  the county's yearly cap;
- duplicate_payment: the same household is paid the same amount twice in a month;
- split_payment: several entries of a kind with an approval tier, each just under the tier's
  threshold (within `SPLIT_BAND` of it), within `SPLIT_DAYS` of each other, together above it;
- cash_over: a cash payment above the county's cash threshold;
- closed_month_spending: spending recorded as a correction of a closed month (the reversal of a
  spending entry whose month was closed, landing in a later month).
"""

import json
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from coopapp import settings as county
from coopapp.access.scope import area_clause
from coopapp.core.money import format_yuan
from coopapp.core.vocabulary import KINDS, NON_PRODUCTIVE_KINDS, PAYOUT_KINDS, SPENDING_KINDS
from coopapp.extensions import db
from coopapp.ledger import spending
from coopapp.ledger.permissions import is_closed
from coopapp.models import Area, LedgerEntry, LedgerWarning, User

# An amount within this share of a tier's threshold (and not above it) is "just under" it.
SPLIT_BAND = 0.2
SPLIT_DAYS = 7
# The entries that may still count: a warning compares with these, never with drafts or voided ones.
LIVE = ("submitted", "awaiting_town", "approved")


def _banned_category(entry: LedgerEntry, rules: county.Settings) -> dict | None:
    category = spending.banned_category(entry, rules)
    return None if category is None else {"category": category}


def _cap_exceeded(entry: LedgerEntry, rules: county.Settings) -> dict | None:
    over = spending.exceeds_cap(entry)
    return None if over is None else {"year": entry.year, **over}


def _duplicate_payment(entry: LedgerEntry, rules: county.Settings) -> dict | None:
    if entry.kind not in PAYOUT_KINDS or entry.household_id is None or entry.reverses_id is not None:
        return None
    other = db.session.scalar(
        select(LedgerEntry.id)
        .where(
            LedgerEntry.household_id == entry.household_id,
            LedgerEntry.period == entry.period,
            LedgerEntry.amount_fen == entry.amount_fen,
            LedgerEntry.kind.in_(PAYOUT_KINDS),
            LedgerEntry.status.in_(LIVE),
            LedgerEntry.reverses_id.is_(None),
            LedgerEntry.id != entry.id,
        )
        .order_by(LedgerEntry.id)
        .limit(1)
    )
    if other is None:
        return None
    return {"other_id": other, "amount_fen": entry.amount_fen, "period": entry.period}


def _split_payment(entry: LedgerEntry, rules: county.Settings) -> dict | None:
    if entry.amount_fen <= 0 or entry.reverses_id is not None:
        return None
    thresholds = [t.above_fen for t in rules.tiers if t.concerns(entry.kind) and t.above_fen > 0]
    under = [t for t in thresholds if t * (1 - SPLIT_BAND) < entry.amount_fen <= t]
    if not under:
        return None
    threshold = min(under)
    day = entry.entry_date or (entry.created_at.date() if entry.created_at else None)
    q = select(LedgerEntry.id, LedgerEntry.amount_fen).where(
        LedgerEntry.village_id == entry.village_id,
        LedgerEntry.kind == entry.kind,
        LedgerEntry.status.in_(LIVE),
        LedgerEntry.reverses_id.is_(None),
        LedgerEntry.id != entry.id,
        LedgerEntry.amount_fen > int(threshold * (1 - SPLIT_BAND)),
        LedgerEntry.amount_fen <= threshold,
    )
    if day is not None:
        q = q.where(LedgerEntry.entry_date.between(day - timedelta(days=SPLIT_DAYS), day + timedelta(days=SPLIT_DAYS)))
    else:
        q = q.where(LedgerEntry.period == entry.period)
    others = db.session.execute(q.order_by(LedgerEntry.id).limit(20)).all()
    total = entry.amount_fen + sum(amount for _id, amount in others)
    if not others or total <= threshold:
        return None
    return {
        "count": len(others) + 1,
        "total_fen": total,
        "threshold_fen": threshold,
        "days": SPLIT_DAYS,
        "others": [i for i, _a in others],
    }


def _cash_over(entry: LedgerEntry, rules: county.Settings) -> dict | None:
    limit = rules.cash_warning_above_fen
    if limit is None or getattr(entry, "payment_method", None) != "cash" or entry.amount_fen <= limit:
        return None
    return {"amount_fen": entry.amount_fen, "limit_fen": limit}


def _closed_month_spending(entry: LedgerEntry, rules: county.Settings) -> dict | None:
    if entry.kind not in SPENDING_KINDS or entry.reverses_id is None:
        return None
    original = entry.reverses
    if original is None or original.period == entry.period or not is_closed(entry.village_id, original.period):
        return None
    return {"original_id": original.id, "closed_period": original.period}


RULES = {
    "banned_category": _banned_category,
    "cap_exceeded": _cap_exceeded,
    "duplicate_payment": _duplicate_payment,
    "split_payment": _split_payment,
    "cash_over": _cash_over,
    "closed_month_spending": _closed_month_spending,
}
# The kinds each rule can concern: an entry of no such kind costs no lookup at all.
_CONCERNS = {
    "banned_category": SPENDING_KINDS,
    "cap_exceeded": NON_PRODUCTIVE_KINDS,
    "duplicate_payment": PAYOUT_KINDS,
    "split_payment": tuple(KINDS),
    "cash_over": tuple(KINDS),
    "closed_month_spending": SPENDING_KINDS,
}


def findings(entry: LedgerEntry, rules: county.Settings | None = None) -> dict[str, dict]:
    """rule → its figures, for every rule that warns about `entry` now."""
    rules = rules or county.for_area(entry.village)
    found = {}
    for name, rule in RULES.items():
        if entry.kind in _CONCERNS[name]:
            details = rule(entry, rules)
            if details is not None:
                found[name] = details
    return found


def raise_warnings(entry: LedgerEntry) -> list[LedgerWarning]:
    """Replace the entry's warnings with the ones its rules find now (inside the caller's transaction)."""
    db.session.flush()
    found = findings(entry)
    had = db.session.scalar(select(func.count()).where(LedgerWarning.entry_id == entry.id))
    if had:
        db.session.execute(delete(LedgerWarning).where(LedgerWarning.entry_id == entry.id))
    rows = [
        LedgerWarning(
            rule=name, entry_id=entry.id, village_id=entry.village_id, details=json.dumps(details, sort_keys=True)
        )
        for name, details in found.items()
    ]
    db.session.add_all(rows)
    return rows


def message(warning: LedgerWarning) -> str:
    """The warning's message in the reader's language, from its rule and figures."""
    d = json.loads(warning.details or "{}")
    rule = warning.rule
    if rule == "banned_category":
        return _("明细科目“%(c)s”是县里规定村级不得开支的项目。", c=d.get("category", ""))
    if rule == "cap_exceeded":
        return _(
            "%(y)s 年非生产性开支合计 %(t)s 元，超过县定上限 %(c)s 元。",
            y=d.get("year"),
            t=format_yuan(d.get("total_fen", 0)),
            c=format_yuan(d.get("cap_fen", 0)),
        )
    if rule == "duplicate_payment":
        return _(
            "同一农户在 %(p)s 已有一笔同样金额（%(a)s 元）的支付：#%(o)s。",
            p=d.get("period", ""),
            a=format_yuan(d.get("amount_fen", 0)),
            o=d.get("other_id"),
        )
    if rule == "split_payment":
        return _(
            "%(d)s 天内有 %(n)s 笔略低于审批金额 %(t)s 元的支出，合计 %(s)s 元：可能是拆分支付以避开审批。",
            d=d.get("days"),
            n=d.get("count"),
            t=format_yuan(d.get("threshold_fen", 0)),
            s=format_yuan(d.get("total_fen", 0)),
        )
    if rule == "cash_over":
        return _(
            "现金支付 %(a)s 元，超过县定现金支付限额 %(l)s 元。",
            a=format_yuan(d.get("amount_fen", 0)),
            l=format_yuan(d.get("limit_fen", 0)),
        )
    if rule == "closed_month_spending":
        return _("这是对已结账月份 %(p)s 支出（#%(o)s）的更正。", p=d.get("closed_period", ""), o=d.get("original_id"))
    return rule


def warnings_query(user: User, area: Area, *, rule: str | None = None):
    """(warning, entry, village) of the entries (not voided) of the villages under `area` that the
    user may see, newest first; optionally one rule's."""
    villages = select(Area.id).where(area_clause(user), Area.path.startswith(area.path, autoescape=True))
    q = (
        select(LedgerWarning, LedgerEntry, Area)
        .join(LedgerEntry, LedgerEntry.id == LedgerWarning.entry_id)
        .join(Area, Area.id == LedgerWarning.village_id)
        .where(LedgerWarning.village_id.in_(villages), LedgerEntry.status != "void")
    )
    if rule:
        q = q.where(LedgerWarning.rule == rule)
    return q.order_by(LedgerWarning.created_at.desc(), LedgerWarning.id.desc())


def of_entries(entry_ids: list[int]) -> dict[int, list[LedgerWarning]]:
    """entry id → its warnings, for a page of entries (one query)."""
    out: dict[int, list[LedgerWarning]] = {}
    if not entry_ids:
        return out
    q = select(LedgerWarning).where(LedgerWarning.entry_id.in_(entry_ids)).order_by(LedgerWarning.id)
    for warning in db.session.scalars(q):
        out.setdefault(warning.entry_id, []).append(warning)
    return out
