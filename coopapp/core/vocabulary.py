"""Each vocabulary once (netbox's `choices.py`): for every code, its translated label, the
untranslated Chinese name that files use, and the other ways files write it.

- the code is what the database stores, the API speaks and the services check;
- the label (a lazy translation) is what pages, forms and the comparison's files show;
- the name is the source-language word, whatever the page's language: the ledger exports write
  it and the imports read it back, so a file exported in English still imports;
- the aliases are further words the imports accept (as accountants write them).

A vocabulary is a tuple of its codes, in display order (`kind in KINDS`, `list(KINDS)`, a
column's `.in_(PAYOUT_KINDS)` work as on any tuple), with `labels`, `names` and `terms` beside.
"""

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Term:
    """One code of a vocabulary: its label, its name in files, the other ways files write it."""

    code: str
    label: object  # a lazy translation: str() of it is the label in the page's language
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unit(Term):
    """A unit of quantity: stored converted to `base` (800 斤 → 400 kg)."""

    base: str = ""
    factor: Decimal = Decimal(1)


@dataclass(frozen=True)
class Role(Term):
    """A role a user holds: `rank` orders roles for "not above your own" (an admin gives no role
    ranked above theirs); roles of equal rank are neither above the other."""

    rank: int = 0


class Vocabulary(tuple):
    """The codes of one vocabulary, in display order, with each code's label, name and aliases."""

    def __new__(cls, *terms: Term):
        self = super().__new__(cls, (term.code for term in terms))
        self.terms = terms
        self.labels = {term.code: term.label for term in terms}
        self.names = {term.code: term.name for term in terms}
        return self

    def label(self, code: str | None) -> str:
        """The display label of a code, the code itself when it has none, "" for None."""
        if code is None:
            return ""
        return str(self.labels.get(code, code))

    def written(self) -> dict[str, str]:
        """Every way a file may write a term — its code, its name, its aliases — → its code."""
        return {text: term.code for term in self.terms for text in (term.code, term.name, *term.aliases)}


# ---- the ledger ------------------------------------------------------------------

# What is paid to a household: a payout row names the household.
_PAYOUTS = (
    Term("dividend", _l("分红"), "分红", ("股份分红", "dividends")),
    Term("wage", _l("务工"), "务工", ("务工工资", "工资", "劳务", "wages", "labour", "labor")),
    Term("purchase", _l("收购"), "收购", ("农产品收购", "收购款")),
    Term("rent", _l("租金"), "租金", ("土地租金", "土地流转租金", "流转租金")),
    Term("welfare_job", _l("公益岗位"), "公益岗位", ("公益岗", "公益性岗位", "welfarejob")),
)
# The spending of the 2023 rules (农村集体经济组织会计制度): each is one line of the income statement.
_SPENDING = (
    Term("operating_expense", _l("经营支出"), "经营支出", ("经营成本", "operatingexpense", "operating")),
    Term("admin_expense", _l("管理费用"), "管理费用", ("管理费", "管理支出", "adminexpense", "administrative")),
    Term("welfare_expense", _l("公益支出"), "公益支出", ("公益事业支出", "公益费用", "welfareexpense")),
    Term("other_expense", _l("其他支出"), "其他支出", ("其它支出", "otherexpense")),
)
KINDS = Vocabulary(
    Term("output", _l("产值"), "产值", ("生产产值", "产出")),
    Term("sales", _l("销售收入"), "销售收入", ("销售", "营业收入", "sale", "salesincome")),
    # 成本 as files and clients have always written it: shown as 经营支出 (read as such when no category is given).
    Term("cost", _l("经营支出（成本）"), "成本", ("支出", "成本/支出", "成本支出", "费用", "expense", "expenses")),
    Term("collective_income", _l("村集体收入"), "村集体收入", ("集体收入", "村集体经济收入", "collectiveincome")),
    *_PAYOUTS,
    Term("subsidy", _l("补贴"), "补贴", ("补助", "奖补", "subsidies")),
    *_SPENDING,
)
PAYOUT_KINDS = tuple(term.code for term in _PAYOUTS)
# The spending kinds (支出): only they carry a category (明细科目), a payment method and a payee.
SPENDING_KINDS = ("cost", "operating_expense", "admin_expense", "welfare_expense", "other_expense")
# Non-productive spending (非生产性支出), whose yearly total a county may cap (a warning, no block).
NON_PRODUCTIVE_KINDS = ("admin_expense", "other_expense")
# The income and output kinds, whose amount (and quantity) may be negative: a red entry (红字冲减) for
# a return, a refund or an adjustment, with its reason in the note (`ledger.signs` holds the rule).
RED_ENTRY_KINDS = ("output", "sales", "collective_income", "subsidy")
# The order a message lists the kinds in for someone writing a file: a ledger's usual kinds first.
KINDS_AS_LISTED = ("sales", "collective_income", "output", "cost", "subsidy", *SPENDING_KINDS[1:], *PAYOUT_KINDS)

# How a spending entry was paid (支付方式).
PAYMENT_METHODS = Vocabulary(
    Term("cash", _l("现金"), "现金", ("现金支付", "现款")),
    Term("bank", _l("银行转账"), "银行转账", ("转账", "银行", "银行卡", "对公转账", "网银", "transfer")),
    Term("wechat", _l("微信"), "微信", ("微信支付", "微信转账", "weixin")),
    Term("alipay", _l("支付宝"), "支付宝", ("支付宝支付", "支付宝转账")),
    Term("other", _l("其他"), "其他", ("其它",)),
)

# The lines of the income statement (收益及收益分配表, 2023 rules) that the ledger's kinds fall on;
# `INCOME_STATEMENT` maps each kind to its line (None: 产值 is a production value, on no line).
# `core.income_statement` sums them; every page that shows 收入 / 支出 / 收益 reads it.
STATEMENT_LINES = Vocabulary(
    Term("operating_income", _l("经营收入"), "经营收入"),
    Term("investment_income", _l("投资收益"), "投资收益"),
    Term("subsidy_income", _l("补助收入"), "补助收入"),
    Term("operating_expense", _l("经营支出"), "经营支出"),
    Term("admin_expense", _l("管理费用"), "管理费用"),
    Term("welfare_expense", _l("公益支出"), "公益支出"),
    Term("other_expense", _l("其他支出"), "其他支出"),
    Term("distribution", _l("收益分配"), "收益分配"),
)
INCOME_STATEMENT = {
    "output": None,
    "sales": "operating_income",
    "collective_income": "investment_income",
    "subsidy": "subsidy_income",
    "cost": "operating_expense",
    "operating_expense": "operating_expense",
    "admin_expense": "admin_expense",
    "welfare_expense": "welfare_expense",
    "other_expense": "other_expense",
    **{kind: "distribution" for kind in PAYOUT_KINDS},
}
INCOME_LINES = ("operating_income", "investment_income", "subsidy_income")
EXPENSE_LINES = ("operating_expense", "admin_expense", "welfare_expense", "other_expense")

STATUSES = Vocabulary(
    Term("draft", _l("草稿"), "草稿"),
    Term("submitted", _l("待审核"), "待审核"),
    # Approved by the secretary, waiting for the town's approval (`coopapp.settings` tiers).
    Term("awaiting_town", _l("待镇审核"), "待镇审核"),
    Term("approved", _l("已审核"), "已审核"),
    Term("returned", _l("已退回"), "已退回"),
    Term("void", _l("已作废"), "已作废"),
)

# Quantities as typed; each is stored in its base unit.
UNITS = Vocabulary(
    Unit("kg", _l("千克"), "千克", ("公斤",), base="kg"),
    Unit("jin", _l("斤"), "斤", base="kg", factor=Decimal("0.5")),
    Unit("hive", _l("箱"), "箱", base="hive"),
    Unit("kWh", _l("千瓦时"), "千瓦时", base="kWh"),
    Unit("du", _l("度"), "度", base="kWh"),
    Unit("visit", _l("人次"), "人次", ("visits",), base="visit"),
)
# The units quantities are stored in.
BASE_UNITS = Vocabulary(*(unit for unit in UNITS.terms if unit.base == unit.code))

# A request to reopen a closed month (反结账), which the town approves or refuses.
REOPENING_STATUSES = Vocabulary(
    Term("pending", _l("待镇审批"), "待镇审批"),
    Term("approved", _l("已同意"), "已同意"),
    Term("refused", _l("未同意"), "未同意"),
)

# The rules of the warnings (预警) a reviewer sees (`ledger.warnings`); none blocks anything.
WARNING_RULES = Vocabulary(
    Term("banned_category", _l("禁止开支的科目"), "禁止开支的科目"),
    Term("cap_exceeded", _l("超过年度限额"), "超过年度限额"),
    Term("duplicate_payment", _l("重复支付"), "重复支付"),
    Term("split_payment", _l("疑似拆分支付"), "疑似拆分支付"),
    Term("cash_over", _l("大额现金支付"), "大额现金支付"),
    Term("closed_month_spending", _l("更正已结账月份的支出"), "更正已结账月份的支出"),
)

# ---- projects --------------------------------------------------------------------

PROJECT_TYPES = Vocabulary(
    Term("beekeeping", _l("养蜂"), "养蜂"),
    Term("photovoltaic", _l("光伏"), "光伏"),
    Term("tourism", _l("旅游"), "旅游"),
    Term("planting", _l("种植"), "种植"),
    Term("livestock", _l("养殖"), "养殖"),
    Term("other", _l("其他"), "其他"),
)
# A project's size; the charts write the names (kW as such) whatever the page's language.
CAPACITY_UNITS = Vocabulary(
    Term("hive", _l("箱"), "箱"),
    Term("kW", _l("千瓦"), "kW"),
    Term("mu", _l("亩"), "亩"),
    Term("head", _l("头"), "头"),
    Term("room", _l("间"), "间"),
)

# ---- party organisations ---------------------------------------------------------

# A party organisation's kind; a joint branch (联合党支部) covers several village groups.
PARTY_ORG_KINDS = Vocabulary(
    Term("committee", _l("党委"), "党委"),
    Term("general_branch", _l("党总支"), "党总支"),
    Term("branch", _l("党支部"), "党支部"),
    Term("joint_branch", _l("联合党支部"), "联合党支部"),
)

# ---- distributions ---------------------------------------------------------------

BASES = Vocabulary(
    Term("shares", _l("按股份"), "按股份"),
    Term("equal", _l("按户平均"), "按户平均"),
    Term("fixed", _l("按名单"), "按名单"),
)
PLAN_STATUSES = Vocabulary(
    Term("draft", _l("草稿"), "草稿"),
    Term("approved", _l("已审批"), "已审批"),
    Term("published", _l("已公布"), "已公布"),
    Term("reversed", _l("已冲销"), "已冲销"),
)
# What a deduction is for; only the collective's share is posted (as collective income).
DEDUCTION_KINDS = Vocabulary(
    Term("maintenance", _l("运维费"), "运维费"),
    Term("land_rent", _l("土地租金"), "土地租金"),
    Term("collective", _l("村集体留存"), "村集体留存"),
    Term("welfare_jobs", _l("公益岗位"), "公益岗位"),
    Term("other", _l("其他"), "其他"),
)
OBJECTION_STATUSES = Vocabulary(
    Term("open", _l("待答复"), "待答复"),
    Term("resolved", _l("已解决"), "已解决"),
    Term("rejected", _l("已驳回"), "已驳回"),
)

# ---- people ----------------------------------------------------------------------

# The roles a user may hold (what each may do is `access.scope.ROLE_ACTIONS`, the one place).
# Open: a later role (a town agency accountant, a group leader) is one more line here and there.
ROLES = Vocabulary(
    Role("accountant", _l("会计"), "会计", ("村会计", "报账员"), rank=10),
    Role("group_leader", _l("村民小组长"), "村民小组长", ("小组长", "村民组长"), rank=10),
    Role("secretary", _l("书记"), "书记", ("支部书记", "村书记", "村支书"), rank=20),
    Role("reviewer", _l("审核员"), "审核员", ("审核",), rank=20),
    Role("town_accountant", _l("镇三资代理会计"), "镇三资代理会计", ("镇代理会计", "三资代理会计"), rank=20),
    Role("admin", _l("管理员"), "管理员", ("系统管理员",), rank=30),
)
ROLE_RANKS = {term.code: term.rank for term in ROLES.terms}

# Every vocabulary, by what it names (the tests check each).
VOCABULARIES = {
    "kind": KINDS,
    "payment_method": PAYMENT_METHODS,
    "statement_line": STATEMENT_LINES,
    "status": STATUSES,
    "reopening_status": REOPENING_STATUSES,
    "unit": UNITS,
    "project_type": PROJECT_TYPES,
    "capacity_unit": CAPACITY_UNITS,
    "basis": BASES,
    "plan_status": PLAN_STATUSES,
    "deduction_kind": DEDUCTION_KINDS,
    "objection_status": OBJECTION_STATUSES,
    "role": ROLES,
    "warning_rule": WARNING_RULES,
}
