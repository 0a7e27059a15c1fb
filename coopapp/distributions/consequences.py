"""What approving, publishing or reversing a distribution plan will do, said before it is done.

The confirmation page shows these sentences; the numbers come from the same helpers the operations
use (`plans.paid_lines`, `plans.collective_share`, `plans.entries_to_reverse`), so they cannot differ.
"""

from flask_babel import gettext as _

from coopapp.core.money import format_yuan
from coopapp.distributions import permissions, plans
from coopapp.models import Distribution


def approve_consequence(plan: Distribution) -> str:
    """Approving: the plan is frozen as previewed — and, for a plan above the county's size, it is
    the town's turn next (said before, not only after: the plan then reads 已审批 but cannot be
    published yet)."""
    frozen = _(
        "将审批方案 #%(id)s：%(n)s 户，合计 %(a)s 元（分配总额 %(pool)s 元）。审批后方案不能再修改。",
        id=plan.id,
        n=len(plan.lines),
        a=format_yuan(sum(line.amount_fen for line in plan.lines)),
        pool=format_yuan(plan.pool_fen),
    )
    if permissions.needs_town(plan):
        return frozen + _("分配总额超过县定标准：审批后还须经镇三资代理会计审批，才能公布。")
    return frozen


def town_approve_consequence(plan: Distribution) -> str:
    """The town's approval: which plan, how many households and how much — then the village may publish it."""
    return _(
        "将镇审批通过方案 #%(id)s（%(v)s，%(p)s）：%(n)s 户，合计 %(a)s 元（分配总额 %(pool)s 元）。"
        "通过后村书记即可公布，方案不能再修改。",
        id=plan.id,
        v=plan.village.name,
        p=plan.period,
        n=len(plan.lines),
        a=format_yuan(sum(line.amount_fen for line in plan.lines)),
        pool=format_yuan(plan.pool_fen),
    )


def delete_consequence(plan: Distribution) -> str:
    """Deleting: which plan, how many households' lines go with it, and that nothing was posted."""
    return _(
        "将删除方案 #%(id)s（%(p)s，%(n)s 户，分配总额 %(pool)s 元）：删除后不能恢复；台账中没有这个方案的记录，"
        "如需分配请重新预览。",
        id=plan.id,
        p=plan.period,
        n=len(plan.lines),
        pool=format_yuan(plan.pool_fen),
    )


def publish_consequence(plan: Distribution) -> str:
    """Publishing: how many dividend entries (and the collective's one) it posts, and their total."""
    lines = plans.paid_lines(plan)
    n, total, collective = len(lines), format_yuan(sum(line.amount_fen for line in lines)), plans.collective_share(plan)
    if collective > 0:
        return _(
            "将生成 %(n)s 条分红记录，合计 %(a)s 元，另生成 1 条村集体收入记录 %(c)s 元，记入 %(p)s 的台账；"
            "公布后农户可在公示期内提出异议，记录只能整体冲销。",
            n=n,
            a=total,
            c=format_yuan(collective),
            p=plan.period,
        )
    return _(
        "将生成 %(n)s 条分红记录，合计 %(a)s 元，记入 %(p)s 的台账；公布后农户可在公示期内提出异议，记录只能整体冲销。",
        n=n,
        a=total,
        p=plan.period,
    )


def reverse_consequence(plan: Distribution) -> str:
    """Reversing: how many entries get their negation, and the total taken back."""
    entries = plans.entries_to_reverse(plan)
    return _(
        "将为方案 #%(id)s 记入台账的 %(n)s 条记录各生成一条金额相反的记录，合计 %(a)s 元；冲销不能撤销。",
        id=plan.id,
        n=len(entries),
        a=format_yuan(-sum(e.amount_fen for e in entries)),
    )
