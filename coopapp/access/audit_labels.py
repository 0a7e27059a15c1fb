"""How an object's change history reads (`history.object_history`): every audit action, object
type and snapshot field in the user's language, and what kind of value each field holds. The one
table of these labels; templates print what `object_history` hands them.

- an action reads as its verb (`area.merge` → 合并); an event about a related object (a project's
  yearly target) also names that object's type;
- a field reads by its label for its object type, else by its label for every type, else as it is;
- a value reads by its kind: an area (code and name), a user (username), a cooperative, party
  organisation or project (its name), a vocabulary code (its label), money in fen (yuan), a flag
  (是/否), a password (never shown).
"""

from flask_babel import lazy_gettext as _l

from coopapp.core.vocabulary import (
    BASES,
    CAPACITY_UNITS,
    KINDS,
    OBJECTION_STATUSES,
    PARTY_ORG_KINDS,
    PLAN_STATUSES,
    PROJECT_TYPES,
    REOPENING_STATUSES,
    STATUSES,
    UNITS,
)

TYPES = {
    "area": _l("区域"),
    "entry": _l("台账"),
    "household": _l("农户"),
    "project": _l("项目"),
    "project_target": _l("年度目标"),
    "closed_month": _l("结账月份"),
    "month_reopening": _l("反结账申请"),
    "user": _l("用户"),
    "membership": _l("社员"),
    "distribution": _l("分配方案"),
    "objection": _l("异议"),
    "disclosure": _l("公开"),
    "cooperative": _l("合作社"),
    "party_org": _l("党组织"),
    "api_token": _l("API 令牌"),
    "import_batch": _l("导入批次"),
    "county_settings": _l("县级设置"),
    "voucher": _l("原始凭证"),
}

VERBS = {
    "create": _l("新建"),
    "import": _l("导入"),  # a row created by an import, vouched for by its batch's event (history.py)
    "adopt": _l("纳入审计"),
    "update": _l("修改"),
    "rename": _l("改名"),
    "move": _l("迁移"),
    "retire": _l("撤销"),
    "merge": _l("合并"),
    "published_name": _l("记录公布名称"),
    "upgrade": _l("升级"),
    "submit": _l("提交"),
    "approve": _l("审核通过"),
    "return": _l("退回"),
    "reverse": _l("冲销"),
    "void": _l("作废"),
    "draft": _l("起草"),
    "publish": _l("发布"),
    "delete": _l("删除"),
    "close": _l("结账"),
    "password": _l("修改密码"),
    "public_link": _l("生成公开链接"),
    "notice": _l("公示"),
    "annual": _l("年度公开"),
    "reset_password": _l("重置密码"),
    "unlock": _l("解除登录限制"),
    "revoke": _l("撤销令牌"),
    "town_approve": _l("镇审核通过"),
    "town_return": _l("镇退回"),
    "request": _l("申请"),
    "refuse": _l("不同意"),
    "attach": _l("上传"),
}

# Field labels for every type; FIELDS_OF overrides them for one type.
FIELDS = {
    "code": _l("代码"),
    "county_id": _l("县"),
    "data": _l("设置内容"),
    "name": _l("名称"),
    "level": _l("层级"),
    "parent_id": _l("上级区域"),
    "path": _l("路径"),
    "published_name": _l("公布名称"),
    "retired": _l("已撤销"),
    "merged_into_id": _l("并入村"),
    "merged_on": _l("撤并日期"),
    "area_id": _l("区域"),
    "village_id": _l("村"),
    "group_id": _l("村民小组"),
    "group_ids": _l("覆盖的村民小组"),
    "cooperative_id": _l("合作社"),
    "party_org_id": _l("领办党组织"),
    "project_id": _l("项目"),
    "household_id": _l("农户"),
    "distribution_id": _l("分配方案"),
    "credit_code": _l("统一社会信用代码"),
    "kind": _l("类别"),
    "type": _l("类型"),
    "status": _l("状态"),
    "founded": _l("成立日期"),
    "upgrades": _l("升级记录"),
    "capacity": _l("规模"),
    "capacity_unit": _l("规模单位"),
    "year": _l("年度"),
    "output_fen": _l("产值目标"),
    "collective_income_fen": _l("村集体收入目标"),
    "period": _l("月份"),
    "entry_date": _l("日期"),
    "amount_fen": _l("金额"),
    "quantity": _l("数量"),
    "unit": _l("单位"),
    "note": _l("摘要"),
    "category": _l("明细科目"),
    "payment_method": _l("支付方式"),
    "payee": _l("收款人"),
    "return_reason": _l("退回原因"),
    "reversal_reason": _l("冲销原因"),
    "reverses_id": _l("冲销的台账"),
    "created_by_id": _l("录入人"),
    "reviewed_by_id": _l("审核人"),
    "approved_by_id": _l("批准人"),
    "published_by_id": _l("发布人"),
    "answered_by_id": _l("答复人"),
    "closed_by_id": _l("结账人"),
    "town_reviewed_by_id": _l("镇审核人"),
    "town_approved_by_id": _l("镇审批人"),
    "town_return_reason": _l("镇退回原因"),
    "requested_by_id": _l("申请人"),
    "decided_by_id": _l("镇审批人"),
    "reason": _l("原因"),
    "created_at": _l("录入时间"),
    "published_at": _l("发布时间"),
    "answered_at": _l("答复时间"),
    "head_name": _l("户主"),
    "members": _l("人口"),
    "phone": _l("电话"),
    "id_number": _l("身份证号"),
    "formerly_poor": _l("脱贫户"),
    "monitored": _l("监测户"),
    "shares": _l("股份"),
    "since": _l("起始日期"),
    "username": _l("用户名"),
    "role": _l("角色"),
    "active": _l("启用"),
    "password": _l("密码"),
    "pool_fen": _l("分配总额"),
    "basis": _l("分配依据"),
    "deductions": _l("扣除项"),
    "lines": _l("分配明细"),
    "notice_days": _l("公示天数"),
    "text": _l("内容"),
    "answer": _l("答复"),
}
FIELDS_OF = {
    ("party_org", "kind"): _l("党组织类型"),
    ("project", "type"): _l("项目类型"),
    ("user", "area_id"): _l("管辖区域"),
}

ROLES = {
    "accountant": _l("村会计"),
    "secretary": _l("党支部书记"),
    "reviewer": _l("查看"),
    "admin": _l("管理员"),
    "town_accountant": _l("镇三资代理会计"),
    "group_leader": _l("村民小组长"),
}
AREA_LEVELS = {"county": _l("县"), "town": _l("镇"), "village": _l("村"), "group": _l("村民小组")}

# What a field's value refers to: another row, shown by its name (one query per kind).
REFERENCES = {
    "parent_id": "area",
    "merged_into_id": "area",
    "area_id": "area",
    "village_id": "area",
    "group_id": "area",
    "group_ids": "area",
    "cooperative_id": "cooperative",
    "party_org_id": "party_org",
    "project_id": "project",
    "created_by_id": "user",
    "reviewed_by_id": "user",
    "approved_by_id": "user",
    "published_by_id": "user",
    "answered_by_id": "user",
    "closed_by_id": "user",
    "town_reviewed_by_id": "user",
    "town_approved_by_id": "user",
    "requested_by_id": "user",
    "decided_by_id": "user",
}
# Vocabulary codes, by (type, field) or by field: code → label.
CODES = {
    ("area", "level"): AREA_LEVELS,
    ("entry", "kind"): KINDS.labels,
    ("entry", "status"): STATUSES.labels,
    ("entry", "unit"): UNITS.labels,
    ("party_org", "kind"): PARTY_ORG_KINDS.labels,
    ("project", "type"): PROJECT_TYPES.labels,
    ("project", "capacity_unit"): CAPACITY_UNITS.labels,
    ("distribution", "status"): PLAN_STATUSES.labels,
    ("distribution", "basis"): BASES.labels,
    ("objection", "status"): OBJECTION_STATUSES.labels,
    ("month_reopening", "status"): REOPENING_STATUSES.labels,
    ("user", "role"): ROLES,
}
SECRET = {"password", "id_number"}


def action_label(action: str, object_type: str, main_type: str) -> str:
    """`area.merge` → 合并; an event about a related object names its type (年度目标 · 修改)."""
    verb = action.rpartition(".")[2]
    label = str(VERBS.get(verb, action))
    if object_type != main_type and object_type in TYPES:
        return f"{TYPES[object_type]} · {label}"
    return label


def field_label(object_type: str, field: str) -> str:
    """The label of a snapshot field (the field's name itself when the table has none)."""
    return str(FIELDS_OF.get((object_type, field)) or FIELDS.get(field) or field)


def code_labels(object_type: str, field: str) -> dict | None:
    """The labels of a vocabulary field's codes, None when the field holds no code."""
    return CODES.get((object_type, field))
