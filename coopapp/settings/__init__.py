"""A county's own rules (县级设置), read in one place.

Every rule that a county sets for itself — who must approve what above which amount, the spending
categories and the banned ones, the caps and thresholds — is one field of `Settings`. A county that
has set nothing gets `DEFAULTS`, under which the app behaves as DESIGN describes (the secretary
alone approves; nothing is banned but 招待费; no voucher, cash or plan threshold).

- `for_area(area)`: the settings of the county an area lies in (cached per request);
- `from_document(data)`: a JSON document (the settings page, `PUT /api/v1/settings`) → `Settings`,
  or `Invalid` naming each bad field; `to_document(settings)` the reverse.

Amounts are integer fen. A tier applies to an entry of one of its `kinds` whose amount is above
`above_fen` and (when set) at most `up_to_fen`; two tiers of one kind must not overlap.
"""

import json
from dataclasses import asdict, dataclass, replace

from flask import g, has_app_context
from flask_babel import gettext as _

from coopapp.core.vocabulary import INCOME_STATEMENT, KINDS, SPENDING_KINDS
from coopapp.errors import Invalid

# The approver a tier can require after the village secretary.
TIER_APPROVERS = ("town_accountant",)


def alike(kind: str) -> frozenset[str]:
    """`kind` and the kinds a county's rule reads as the same: `cost` (成本, as old rows, files and
    clients write it) is 经营支出 (`operating_expense`) — a spending kind on the same line of the
    income statement — so a tier set on either holds for both."""
    line = INCOME_STATEMENT.get(kind)
    if kind not in SPENDING_KINDS or line is None:
        return frozenset((kind,))
    return frozenset(k for k in SPENDING_KINDS if INCOME_STATEMENT[k] == line)


def tier_kind(kind: str) -> str:
    """The kind the settings page offers for `kind` in a tier: 经营支出 (`operating_expense`) for `cost`
    (`alike`: one kind for the tiers, so the page shows one box), else the kind itself."""
    line = INCOME_STATEMENT.get(kind)
    return line if kind in SPENDING_KINDS and line in SPENDING_KINDS else kind


@dataclass(frozen=True)
class Tier:
    """Entries of `kinds` with an amount in (above_fen, up_to_fen] need `approvers` after the secretary."""

    kinds: tuple[str, ...]
    above_fen: int
    up_to_fen: int | None = None
    approvers: tuple[str, ...] = ("town_accountant",)

    def concerns(self, kind: str) -> bool:
        """Is `kind` among the tier's kinds (`cost` and 经营支出 being one: `alike`)?"""
        return not alike(kind).isdisjoint(self.kinds)

    def covers(self, kind: str, amount_fen: int) -> bool:
        """Does this tier apply to an entry of `kind` and `amount_fen`?"""
        return (
            self.concerns(kind)
            and amount_fen > self.above_fen
            and (self.up_to_fen is None or amount_fen <= self.up_to_fen)
        )


@dataclass(frozen=True)
class Settings:
    """One county's rules. Every amount is in fen; None means "no such rule"."""

    # The spending sub-categories (明细科目) a spending entry may name.
    categories: tuple[str, ...] = (
        "办公费",
        "水电费",
        "维修费",
        "干部报酬",
        "差旅费",
        "会议费",
        "宣传费",
        "招待费",
        "其他",
    )
    # Categories refused at submit ("村级不得开支招待费").
    banned_categories: tuple[str, ...] = ("招待费",)
    # A village's yearly total of non-productive spending above which a warning is raised (no block).
    non_productive_cap_fen: int | None = None
    # Who must approve after the secretary, by kind and amount.
    tiers: tuple[Tier, ...] = ()
    # Spending above this needs an original voucher (原始凭证) before it can be submitted.
    voucher_required_above_fen: int | None = None
    # A cash payment above this raises a warning.
    cash_warning_above_fen: int | None = None
    # A distribution plan whose pool is above this needs the town accountant before publication.
    plan_town_approval_above_fen: int | None = None

    def tier_for(self, kind: str, amount_fen: int) -> Tier | None:
        """The tier an entry of `kind` and `amount_fen` falls in (a red amount counts by its size)."""
        amount = abs(amount_fen)
        return next((tier for tier in self.tiers if tier.covers(kind, amount)), None)


DEFAULTS = Settings()
_FIELDS = tuple(Settings.__dataclass_fields__)
_AMOUNTS = (
    "non_productive_cap_fen",
    "voucher_required_above_fen",
    "cash_warning_above_fen",
    "plan_town_approval_above_fen",
)
_MAX_FEN = 10**15


def to_document(settings: Settings) -> dict:
    """The settings as a JSON-ready dict (lists, not tuples)."""
    data = asdict(settings)
    data["categories"] = list(settings.categories)
    data["banned_categories"] = list(settings.banned_categories)
    data["tiers"] = [
        {"kinds": list(t.kinds), "above_fen": t.above_fen, "up_to_fen": t.up_to_fen, "approvers": list(t.approvers)}
        for t in settings.tiers
    ]
    return data


def _amount(value, name: str, errors: dict) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_FEN:
        errors[name] = _("请填写不小于零的金额（分）。")
        return None
    return value


def _texts(value, name: str, errors: dict) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v.strip() for v in value):
        errors[name] = _("请填写一列名称，每项不能为空。")
        return ()
    out = tuple(dict.fromkeys(v.strip()[:40] for v in value))
    if len(out) > 200:
        errors[name] = _("最多 200 项。")
    return out


def _tiers(value, errors: dict) -> tuple[Tier, ...]:
    if not isinstance(value, list | tuple) or len(value) > 100:
        errors["tiers"] = _("审批分级应为一个列表（最多 100 条）。")
        return ()
    tiers = []
    for i, raw in enumerate(value, start=1):
        if not isinstance(raw, dict):
            errors["tiers"] = _("第 %(n)s 条审批分级格式不对。", n=i)
            return ()
        kinds = raw.get("kinds")
        if not isinstance(kinds, list | tuple) or not kinds or any(k not in KINDS for k in kinds):
            errors["tiers"] = _("第 %(n)s 条审批分级的类别不对。", n=i)
            return ()
        sub: dict = {}
        above = _amount(raw.get("above_fen", 0), "above_fen", sub)
        up_to = _amount(raw.get("up_to_fen"), "up_to_fen", sub)
        approvers = raw.get("approvers", list(TIER_APPROVERS))
        if sub or above is None or (up_to is not None and up_to <= above):
            errors["tiers"] = _("第 %(n)s 条审批分级的金额区间不对：下限应小于上限。", n=i)
            return ()
        if not isinstance(approvers, list | tuple) or not approvers or any(a not in TIER_APPROVERS for a in approvers):
            errors["tiers"] = _("第 %(n)s 条审批分级的审批人不对。", n=i)
            return ()
        tiers.append(Tier(tuple(dict.fromkeys(kinds)), above, up_to, tuple(dict.fromkeys(approvers))))
    for i, a in enumerate(tiers):
        for b in tiers[i + 1 :]:
            shared = {k for k in a.kinds if b.concerns(k)}
            a_top = a.up_to_fen if a.up_to_fen is not None else _MAX_FEN + 1
            b_top = b.up_to_fen if b.up_to_fen is not None else _MAX_FEN + 1
            if shared and a.above_fen < b_top and b.above_fen < a_top:
                errors["tiers"] = _(
                    "审批分级的金额区间重叠（%(k)s）：同一类别的区间不能重叠。",
                    k="、".join(KINDS.label(k) for k in sorted(shared)),
                )
                return ()
    return tuple(tiers)


def from_document(data) -> Settings:
    """A settings document (a dict, as the page and the API send it) → `Settings`; a field left
    out keeps its default. `Invalid` names every bad field; nothing is half-read."""
    if not isinstance(data, dict):
        raise Invalid(_("设置格式不对。"), {"settings": _("应为一个 JSON 对象。")})
    errors: dict[str, str] = {}
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        errors["settings"] = _("未知的设置项：%(k)s", k=", ".join(unknown))
    values: dict = {}
    for name in _AMOUNTS:
        if name in data:
            values[name] = _amount(data[name], name, errors)
    for name in ("categories", "banned_categories"):
        if name in data:
            values[name] = _texts(data[name], name, errors)
    if "tiers" in data:
        values["tiers"] = _tiers(data["tiers"], errors)
    if errors:
        raise Invalid(_("设置有误，请按提示修改。"), errors)
    return replace(DEFAULTS, **values)


def county_code(area) -> str | None:
    """The code of the county an area lies in (itself when it is one): the first step of its path,
    as the tree's roots are counties. No query."""
    return area.path.strip("/").split("/")[0] if area is not None and area.path else None


def load(county_id: int | None) -> Settings:
    """The stored settings of a county, or the defaults (a document that no longer parses, e.g. after
    a vocabulary change, also falls back to the defaults for the fields that fail)."""
    from coopapp.extensions import db
    from coopapp.models import CountySettings

    if county_id is None:
        return DEFAULTS
    row = db.session.query(CountySettings).filter_by(county_id=county_id).one_or_none()
    return DEFAULTS if row is None else _parsed(row.data)


def _parsed(text: str | None) -> Settings:
    try:
        return from_document(json.loads(text or "{}"))
    except (Invalid, ValueError):
        return DEFAULTS


def _load_by_code(code: str | None) -> Settings:
    """`load` of the county whose code is `code`, in one query (an approval asks it once per request)."""
    from sqlalchemy import select

    from coopapp.extensions import db
    from coopapp.models import Area, CountySettings

    if not code:
        return DEFAULTS
    q = (
        select(CountySettings.data)
        .join(Area, Area.id == CountySettings.county_id)
        .where(Area.code == code, Area.level == "county")
    )
    row = db.session.execute(q).first()
    return DEFAULTS if row is None else _parsed(row[0])


def for_area(area) -> Settings:
    """The settings of the county `area` lies in; cached for the request (`forget` after a change)."""
    key = county_code(area)
    if not has_app_context():
        return _load_by_code(key)
    cache = g.setdefault("county_settings", {})
    # Keyed by the county's code: a hit costs no query (an import batch's approval asks once per
    # entry), a miss one.
    if key not in cache:
        cache[key] = _load_by_code(key)
    return cache[key]


def forget() -> None:
    """Drop the request's cached settings (after they were saved)."""
    if has_app_context():
        g.pop("county_settings", None)


__all__ = ["DEFAULTS", "Settings", "Tier", "county_code", "for_area", "forget", "from_document", "load", "to_document"]
