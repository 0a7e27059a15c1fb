"""The sign rule of an entry's amount and quantity, in one place: the form, the API and the imports
all reach it through `operations.EntryChecks`.

- An amount is never zero.
- The income and output kinds (`RED_ENTRY_KINDS`: 产值, 销售收入, 村集体收入, 补贴) may be negative: a
  red entry (红字冲减) for a return, a refund or an adjustment. Its reason must be in the note. It is an
  ordinary entry of its own kind, reviewed like any other and counted with its sign; it is not a
  reversal (冲销), which undoes a mistaken approved entry and is made by `operations.reverse_entry`.
- Every other kind (成本 and the payouts to households) is positive: a mistake is reversed.
- A quantity and an amount given together have the same sign (a return of 50 kg of honey is
  −50 kg and −1,500.00 yuan); a zero quantity goes with either (a price allowance returns no goods).
"""

from decimal import Decimal

from flask_babel import gettext as _

from coopapp.core.vocabulary import RED_ENTRY_KINDS


def may_be_negative(kind: str | None) -> bool:
    """May an entry of this kind carry a negative amount (a red entry)?"""
    return kind in RED_ENTRY_KINDS


def sign_problems(kind: str | None, amount_fen: int | None, quantity: Decimal | None, note: str | None) -> dict:
    """What the sign rule refuses in an entry, by field (amount, quantity, note); empty when it is fine."""
    if amount_fen is not None and amount_fen > 0 and (quantity is None or quantity >= 0):
        return {}  # the common case, every row of an import: nothing to look at
    errors: dict[str, str] = {}
    red_allowed = may_be_negative(kind)
    if amount_fen is not None:
        if amount_fen == 0 and red_allowed:
            errors["amount"] = _("金额不能为零。")
        elif amount_fen <= 0 and not red_allowed:
            errors["amount"] = _("金额必须大于零；更正已审核的记录请用“冲销”。")
    if quantity is not None and quantity < 0 and not red_allowed:
        errors["quantity"] = _("数量不能为负数。")
    elif quantity is not None and quantity != 0 and amount_fen and (quantity < 0) != (amount_fen < 0):
        errors["quantity"] = _("数量与金额的正负应一致：红字（负数）记录的数量和金额都填负数。")
    if red_allowed and amount_fen is not None and amount_fen < 0 and not (note or "").strip():
        errors["note"] = _("红字（负数）记录必须在备注中写明原因。")
    return errors
