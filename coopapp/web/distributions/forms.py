"""The plan form of the pages: spare deduction rows and one weight row per household of the village."""

from wtforms import FieldList, FormField

from coopapp.core.forms import choice_list
from coopapp.distributions.forms import MAX_DEDUCTIONS, DeductionRowForm, DistributionForm
from coopapp.models import Household, Project

DEDUCTION_ROWS = 4


class DistributionPageForm(DistributionForm):
    """DistributionForm with four deduction rows offered (blank rows are ignored)."""

    deductions = FieldList(FormField(DeductionRowForm), min_entries=DEDUCTION_ROWS, max_entries=MAX_DEDUCTIONS)

    def fill_choices(self, projects: list[Project]) -> "DistributionPageForm":
        self.project_id.choices = choice_list((p.id, p.name) for p in projects)
        return self


def initial_data(households: list[Household], period: str) -> dict:
    """A new plan: this month, by shares, and every household of the village listed without a weight."""
    return {
        "period": period,
        "basis": "shares",
        "households": [{"household_id": h.id, "weight": None} for h in households],
    }
