"""The spending rules of an entry, in one place: the form, the API and the imports reach
`spending_problems` through `operations.EntryChecks`; submit reaches `banned_refusal` through
`permissions.submit_refusal`.

- Only the spending kinds (`SPENDING_KINDS`) carry a category (明细科目), a payment method (支付方式)
  and a payee (收款人); on any other kind they are refused.
- A category must be one of the county's list (`settings.for_area(village).categories`); the
  message names the allowed ones.
- A banned category (`banned_categories`, 招待费 by default) may be kept on a draft, but the entry
  cannot be submitted: "村级不得开支招待费".
- The yearly cap of non-productive spending (`non_productive_cap_fen`, over `NON_PRODUCTIVE_KINDS`)
  only warns: `non_productive_total` and `exceeds_cap` compute it from the summary tables.
"""

from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp import settings
from coopapp.core.vocabulary import KINDS, NON_PRODUCTIVE_KINDS, PAYMENT_METHODS, SPENDING_KINDS
from coopapp.extensions import db
from coopapp.models import Area, LedgerEntry, MonthlySummary

PAYEE_MAX = 80


def is_spending(kind: str | None) -> bool:
    return kind in SPENDING_KINDS


def spending_problems(
    village: Area, kind: str | None, category: str | None, payment_method: str | None, payee: str | None
) -> dict:
    """What the spending rule refuses in an entry, by field; empty when it is fine."""
    if category is None and payment_method is None and payee is None:
        return {}  # the common case: nothing to look at
    errors: dict[str, str] = {}
    if not is_spending(kind):
        message = _("只有支出类记录（%(k)s）才填写明细科目、支付方式和收款人。", k=_spending_labels())
        for name, value in (("category", category), ("payment_method", payment_method), ("payee", payee)):
            if value is not None:
                errors[name] = message
        return errors
    if category is not None:
        allowed = settings.for_area(village).categories
        if category not in allowed:
            errors["category"] = _("明细科目“%(c)s”不在本县的科目表中，可选：%(a)s", c=category, a="、".join(allowed))
    if payment_method is not None and payment_method not in PAYMENT_METHODS:
        errors["payment_method"] = _(
            "未知支付方式：%(m)s（可选：%(a)s）", m=payment_method, a="、".join(PAYMENT_METHODS.names.values())
        )
    if payee is not None and len(payee) > PAYEE_MAX:
        errors["payee"] = _("收款人最多 %(n)s 个字。", n=PAYEE_MAX)
    return errors


def _spending_labels() -> str:
    return "、".join(KINDS.label(k) for k in SPENDING_KINDS)


def banned_category(entry: LedgerEntry, rules: settings.Settings | None = None) -> str | None:
    """The entry's category when its county bans it (a spending entry's only), else None: submit
    refuses it (`banned_refusal`), the warning names it (`ledger.warnings`)."""
    category = getattr(entry, "category", None)
    if category is None or not is_spending(entry.kind):
        return None
    rules = rules or settings.for_area(entry.village)
    return category if category in rules.banned_categories else None


def banned_refusal(entry: LedgerEntry) -> str | None:
    """Why an entry cannot be submitted for its category (a banned one), or None."""
    category = banned_category(entry)
    if category is None:
        return None
    return _("村级不得开支%(c)s：请改为其他明细科目或作废此记录。", c=category)


def non_productive_total(village_id: int, year: int) -> int:
    """The village's approved non-productive spending (管理费用 + 其他支出) in `year`, in fen, from the
    summary tables (red entries and reversals with their sign)."""
    q = select(func.coalesce(func.sum(MonthlySummary.amount_fen), 0)).where(
        MonthlySummary.village_id == village_id,
        MonthlySummary.year == year,
        MonthlySummary.kind.in_(NON_PRODUCTIVE_KINDS),
    )
    return int(db.session.scalar(q) or 0)


def exceeds_cap(entry: LedgerEntry) -> dict | None:
    """When the entry (non-productive, counted or not yet) takes its village's yearly total above the
    county's cap: {cap_fen, total_fen} (the total with the entry); None otherwise (or no cap set).
    A warning only: nothing is refused for it."""
    if entry.kind not in NON_PRODUCTIVE_KINDS:
        return None
    cap = settings.for_area(entry.village).non_productive_cap_fen
    if cap is None:
        return None
    total = non_productive_total(entry.village_id, entry.year)
    if entry.status != "approved":
        total += int(entry.amount_fen)
    if total <= cap:
        return None
    return {"cap_fen": cap, "total_fen": total}
