"""The settings page's form: what a county clerk types (yuan, one name a line, a table of tiers)
turned into the settings document that `from_document` checks — the one validation path of the
page, the API and the CLI."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from coopapp.core.forms import AmountField
from coopapp.core.money import fen_to_decimal_string
from coopapp.core.vocabulary import KINDS
from coopapp.settings import TIER_APPROVERS, Settings, tier_kind

# The page's words for who approves after the secretary (a tier's `approvers`).
APPROVER_LABELS = {"town_accountant": _l("镇审核")}
# Empty tier rows the page offers below the county's tiers (a county adds that many at a time).
BLANK_TIERS = 3
# The amount fields of the page: page field → document field.
AMOUNTS = {
    "non_productive_cap": "non_productive_cap_fen",
    "voucher_required_above": "voucher_required_above_fen",
    "cash_warning_above": "cash_warning_above_fen",
    "plan_town_approval_above": "plan_town_approval_above_fen",
}


def not_negative(form, field):
    """An amount of a rule is never below zero."""
    if field.data is not None and field.data < 0:
        raise ValidationError(_l("金额不能为负数。"))


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (a phone shows them better than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TierForm(Form):
    """One row of the tier table: kinds, 超过 X 元, 不超过 Y 元 (optional), who must approve."""

    kinds = CheckboxesField(_l("类别"), choices=[])
    above = AmountField(_l("超过（元）"), validators=[not_negative])
    up_to = AmountField(_l("不超过（元，可空）"), validators=[not_negative])
    approvers = CheckboxesField(_l("审批"), choices=[])
    remove = BooleanField(_l("删除此档"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds.choices = [(code, KINDS.label(code)) for code in KINDS if tier_kind(code) == code]
        self.approvers.choices = [(code, APPROVER_LABELS.get(code, code)) for code in TIER_APPROVERS]

    def is_blank(self) -> bool:
        return self.remove.data or (not self.kinds.data and self.above.data is None and self.up_to.data is None)

    def to_document(self) -> dict:
        return {
            "kinds": list(self.kinds.data),
            "above_fen": self.above.data if self.above.data is not None else 0,
            "up_to_fen": self.up_to.data,
            "approvers": list(self.approvers.data or ()),
        }


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class SettingsForm(FlaskForm):
    """The whole settings page."""

    version = HiddenField()
    categories = TextAreaField(_l("开支明细科目（每行一个）"), validators=[Length(max=10_000)])
    banned_categories = TextAreaField(_l("禁止开支的科目（每行一个）"), validators=[Length(max=10_000)])
    non_productive_cap = AmountField(_l("非生产性开支年度上限（元）"), validators=[not_negative])
    voucher_required_above = AmountField(_l("须附原始凭证的开支金额（超过，元）"), validators=[not_negative])
    cash_warning_above = AmountField(_l("现金支付预警金额（超过，元）"), validators=[not_negative])
    plan_town_approval_above = AmountField(_l("收益分配须镇审核的分配总额（超过，元）"), validators=[not_negative])
    tiers = FieldList(FormField(TierForm), min_entries=0, max_entries=100)

    @classmethod
    def for_settings(cls, settings: Settings, version: int) -> "SettingsForm":
        """The form showing `settings` (amounts in yuan, names one a line), with blank tier rows below."""
        data = {
            "version": str(version),
            "categories": "\n".join(settings.categories),
            "banned_categories": "\n".join(settings.banned_categories),
            "tiers": [
                {
                    "kinds": list(dict.fromkeys(map(tier_kind, t.kinds))),  # 成本 shown as 经营支出
                    "above": t.above_fen,
                    "up_to": t.up_to_fen,
                    "approvers": list(t.approvers),
                }
                for t in settings.tiers
            ],
        }
        for field, name in AMOUNTS.items():
            data[field] = getattr(settings, name)
        form = cls(data=data)
        for _i in range(BLANK_TIERS):
            form.tiers.append_entry({"approvers": list(TIER_APPROVERS)})
        return form

    def validate_tiers(self, field):
        for row in field.entries:
            tier = row.form
            if not tier.is_blank() and not tier.kinds.data:
                tier.kinds.errors = [*tier.kinds.errors, _l("请选择至少一个类别，或勾选“删除此档”。")]
                raise ValidationError(_l("审批分级有误，请按提示修改。"))

    def to_document(self) -> dict:
        """The settings document of what was typed (for `from_document` to check)."""
        document = {
            "categories": _lines(self.categories.data),
            "banned_categories": _lines(self.banned_categories.data),
            "tiers": [row.form.to_document() for row in self.tiers.entries if not row.form.is_blank()],
        }
        for field, name in AMOUNTS.items():
            document[name] = self[field].data
        return document

    def expected_version(self) -> int | None:
        text = (self.version.data or "").strip()
        return int(text) if text.isdigit() else None


def yuan_or_blank(fen: int | None) -> str:
    """An amount as the page shows it beside its meaning ("—" for no such rule)."""
    return "—" if fen is None else fen_to_decimal_string(fen)


def field_label(name: str) -> str:
    """A document field's name on the page (its form field's label)."""
    if name == "tiers":
        return str(_l("分级审批"))
    field = getattr(SettingsForm, page_field(name), None)  # the class holds unbound fields
    args = getattr(field, "args", ())
    return str(args[0]) if args else name


def value_text(name: str, value) -> str:
    """A document field's value as a line of the page's history (amounts in yuan, tiers in words)."""
    if value is None:
        return "—"
    if name == "tiers":
        return "；".join(_tier_text(t) for t in value) or "—"
    if isinstance(value, list):
        return "、".join(value) or "—"
    return yuan_or_blank(value) if isinstance(value, int) else str(value)


def _tier_text(tier: dict) -> str:
    kinds = "、".join(KINDS.label(k) for k in tier.get("kinds", ()))
    band = f"> {yuan_or_blank(tier.get('above_fen'))}"
    if tier.get("up_to_fen") is not None:
        band += f" ≤ {yuan_or_blank(tier['up_to_fen'])}"
    return f"{kinds} {band}"


def page_field(document_field: str) -> str:
    """The page's field for a document field (an error of `voucher_required_above_fen` shows beside
    `voucher_required_above`)."""
    return next((page for page, name in AMOUNTS.items() if name == document_field), document_field)
