"""The demo county's own rules (县级设置), as a county in Huizhou might set them.

Operating spending above 10,000 yuan and non-productive spending above 1,000 yuan need the town
accountant after the village secretary; a voucher above 200 yuan; a cash warning above 1,000
yuan; a distribution pool above 10,000 yuan needs the town; non-productive spending is capped at
50,000 yuan a year (a warning). The kinds are those the vocabulary holds when the demo loads.
"""

from coopapp.core.vocabulary import KINDS
from coopapp.models import Area, User
from coopapp.settings.operations import save_settings, stored_row

OPERATING = ("operating_expense",)  # and `cost`, read as 经营支出 (settings.alike)
NON_PRODUCTIVE = ("admin_expense", "other_expense")
YUAN = 100


def demo_document() -> dict:
    """The demo county's settings document."""
    tiers = []
    for kinds, above_yuan in ((OPERATING, 10_000), (NON_PRODUCTIVE, 1_000)):
        present = [kind for kind in kinds if kind in KINDS]
        if present:
            tiers.append({"kinds": present, "above_fen": above_yuan * YUAN, "approvers": ["town_accountant"]})
    return {
        "tiers": tiers,
        "voucher_required_above_fen": 200 * YUAN,
        "cash_warning_above_fen": 1_000 * YUAN,
        "plan_town_approval_above_fen": 10_000 * YUAN,
        "non_productive_cap_fen": 50_000 * YUAN,
    }


def set_demo_settings(admin: User, county: Area) -> None:
    """Save the demo's settings through the operation (audited), unless the county has its own."""
    if stored_row(county) is None:
        save_settings(admin, county, demo_document())
