"""Each vocabulary once: the codes' translated labels, for pages, forms, exports and the API."""

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "output": _l("产值"),
    "sales": _l("销售收入"),
    "cost": _l("成本"),
    "collective_income": _l("村集体收入"),
    "dividend": _l("分红"),
    "wage": _l("务工"),
    "purchase": _l("收购"),
    "rent": _l("租金"),
    "welfare_job": _l("公益岗位"),
    "subsidy": _l("补贴"),
}
UNIT_LABELS = {
    "kg": _l("千克"),
    "jin": _l("斤"),
    "hive": _l("箱"),
    "kWh": _l("千瓦时"),
    "du": _l("度"),
    "visit": _l("人次"),
}
PROJECT_TYPE_LABELS = {
    "beekeeping": _l("养蜂"),
    "photovoltaic": _l("光伏"),
    "tourism": _l("旅游"),
    "planting": _l("种植"),
    "livestock": _l("养殖"),
    "other": _l("其他"),
}
CAPACITY_UNIT_LABELS = {"hive": _l("箱"), "kW": _l("千瓦"), "mu": _l("亩"), "head": _l("头"), "room": _l("间")}
STATUS_LABELS = {
    "draft": _l("草稿"),
    "submitted": _l("待审核"),
    "approved": _l("已审核"),
    "returned": _l("已退回"),
    "void": _l("已作废"),
}

BASIS_LABELS = {"shares": _l("按股份"), "equal": _l("按户平均"), "fixed": _l("按名单")}
DEDUCTION_KIND_LABELS = {
    "maintenance": _l("运维费"),
    "land_rent": _l("土地租金"),
    "collective": _l("村集体留存"),
    "welfare_jobs": _l("公益岗位"),
    "other": _l("其他"),
}
PLAN_STATUS_LABELS = {
    "draft": _l("草稿"),
    "approved": _l("已审批"),
    "published": _l("已公布"),
    "reversed": _l("已冲销"),
}
