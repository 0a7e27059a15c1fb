"""The entry form of the pages: EntryForm with the village's projects and households as choices."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField
from wtforms.validators import Optional

from coopapp.core.forms import choice_list, optional_int
from coopapp.ledger.forms import EntryForm
from coopapp.models import Area, Household, LedgerEntry, Project


class EntryPageForm(EntryForm):
    """EntryForm where the household is picked from the village's households."""

    household_id = SelectField(_l("农户"), coerce=optional_int, validate_choice=False, validators=[Optional()])
    group = SelectField(_l("村民小组"), validate_choice=False, validators=[Optional()])
    # the county's list; `ledger.spending` refuses what is not in it
    category = SelectField(_l("明细科目"), validate_choice=False, validators=[Optional()])
    # A new entry's receipt photo, attached once the entry is saved (the form of a new entry only).
    photo = FileField(_l("拍发票/收据"), render_kw={"accept": "image/*", "capture": "environment"})

    def fill_choices(
        self, projects: list[Project], households: list[Household], groups: list[Area] = (), categories=()
    ) -> None:
        self.project_id.choices = choice_list((p.id, p.name) for p in projects)
        # The village's groups (组账村代记); the page shows the picker only when there are some.
        self.group.choices = choice_list([("", _l("（本村，不属于村民小组）")), *((g.code, g.name) for g in groups)])
        self.has_groups = bool(groups)
        # 成本 stays for the entries that have it; a new one is written 经营支出
        if self.kind.data != "cost":
            self.kind.choices = [c for c in self.kind.choices if c.value != "cost"]
        kept = [self.category.data] if self.category.data and self.category.data not in categories else []
        self.category.choices = choice_list([("", _l("（不填）")), *((c, c) for c in (*categories, *kept))])
        self.household_id.choices = choice_list(
            [("", _l("（不涉及农户）")), *((h.id, h.head_name) for h in households)]
        )


def entry_form_data(entry: LedgerEntry) -> dict:
    """An entry as the form's initial data (quantity in its stored base unit)."""
    return {
        "project_id": entry.project_id,
        "period": entry.period,
        "date": entry.entry_date,
        "kind": entry.kind,
        "amount": entry.amount_fen,
        "quantity": entry.quantity,
        "unit": entry.unit,
        "household_id": entry.household_id,
        "note": entry.note,
        "group": entry.group.code if entry.group_id is not None else "",
        "category": entry.category or "",
        "payment_method": entry.payment_method or "",
        "payee": entry.payee or "",
    }
