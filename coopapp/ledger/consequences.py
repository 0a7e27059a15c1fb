"""What a ledger action that cannot be undone will do, said before it is done (the confirmation page).

Each function returns the sentence, in the user's language and with the numbers, that the page asks
the user to confirm; the operation itself stays in `operations`.
"""

from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.core.money import format_yuan
from coopapp.core.vocabulary import KINDS
from coopapp.extensions import db
from coopapp.models import Area, LedgerEntry


def void_consequence(entry: LedgerEntry) -> str:
    """Voiding an entry: which one, and that it is abandoned for good."""
    return _(
        "将作废记录 #%(id)s（%(p)s %(k)s %(a)s 元）：作废后此记录不再计入汇总，也不能再修改或提交。",
        id=entry.id,
        p=entry.period,
        k=KINDS.label(entry.kind),
        a=format_yuan(entry.amount_fen),
    )


def remove_voucher_consequence(voucher) -> str:
    """Removing a voucher: which photo of which entry, and that the file is gone with it."""
    return _(
        "将删除记录 #%(id)s 的凭证“%(name)s”：照片或文件将从系统中删除，如仍需要，请重新拍照或选择文件上传。",
        id=voucher.entry_id,
        name=voucher.file_name or _("未命名"),
    )


def close_month_consequence(village: Area, period: str) -> str:
    """Closing a month: how many approved entries it freezes."""
    approved = db.session.scalar(
        select(func.count()).where(
            LedgerEntry.village_id == village.id, LedgerEntry.period == period, LedgerEntry.status == "approved"
        )
    )
    return _(
        "将结账 %(p)s：本月 %(n)s 条已审核记录将不能再修改，该月也不能再登记、审核或公布分配；结账后要重新打开，须提出反结账申请并经镇审批。",
        p=period,
        n=approved,
    )
