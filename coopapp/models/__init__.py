"""All mapped classes, importable from one place."""

from sqlalchemy import event

from coopapp.core.text import clean_text
from coopapp.models.areas import LEVELS, Area
from coopapp.models.audit import AuditEvent, AuditHead
from coopapp.models.disclosures import Disclosure
from coopapp.models.distributions import Deduction, Distribution, DistributionLine, Objection
from coopapp.models.households import Household, Membership, VillageRoster
from coopapp.models.imports import IMPORT_KINDS, ImportBatch
from coopapp.models.ledger import (
    ClosedMonth,
    GroupMonthlySummary,
    HouseholdYearSummary,
    LedgerEntry,
    MonthlySummary,
    MonthReopening,
    ProjectYearSummary,
    VillageBenefitSummary,
    VillageYearSummary,
)
from coopapp.models.orgs import Cooperative, PartyOrg, PartyOrgUpgrade
from coopapp.models.projects import Project, ProjectTarget
from coopapp.models.settings import CountySettings
from coopapp.models.users import ROLES, ApiToken, IdempotencyKey, LoginFailure, User, UserSession
from coopapp.models.vouchers import Voucher
from coopapp.models.warnings import LedgerWarning

# The free text people type on pages, in the API and in files: cleaned of control characters
# (core.text.clean_text) whenever it is assigned, so every way in gets the one rule. True where
# the text may hold several lines (tabs and line breaks kept), False for one-line names.
FREE_TEXT: dict[type, dict[str, bool]] = {
    LedgerEntry: {"note": True, "return_reason": True, "reversal_reason": True, "payee": False},
    Distribution: {"note": True, "reversal_reason": True},
    Objection: {"text": True, "answer": True},
    MonthReopening: {"reason": True, "answer": True},
    Household: {"head_name": False, "phone": False, "id_number": False},
    Area: {"name": False, "published_name": False},
    Project: {"name": False},
    PartyOrg: {"name": False},
    Cooperative: {"name": False},
    ImportBatch: {"file_name": False},
    Voucher: {"file_name": False},
}
# The stored months ("YYYY-MM") and ledger dates that `coop data verify` checks.
PERIOD_COLUMNS = [(LedgerEntry, "period"), (ClosedMonth, "period"), (Distribution, "period")]
# A notice's period is a month or a quarter ("2025Q3").
NOTICE_PERIOD_COLUMNS = [(Disclosure, "period")]
LEDGER_DATE_COLUMNS = [(LedgerEntry, "entry_date")]


def _cleaner(multiline: bool):
    def clean(target, value, oldvalue, initiator):
        return clean_text(value, multiline=multiline)

    return clean


for _model, _columns in FREE_TEXT.items():
    for _name, _multiline in _columns.items():
        event.listen(getattr(_model, _name), "set", _cleaner(_multiline), retval=True)


__all__ = [
    "FREE_TEXT",
    "LEDGER_DATE_COLUMNS",
    "PERIOD_COLUMNS",
    "NOTICE_PERIOD_COLUMNS",
    "IMPORT_KINDS",
    "LEVELS",
    "ROLES",
    "ApiToken",
    "Area",
    "AuditEvent",
    "AuditHead",
    "ClosedMonth",
    "Cooperative",
    "CountySettings",
    "Deduction",
    "Disclosure",
    "Distribution",
    "DistributionLine",
    "Household",
    "GroupMonthlySummary",
    "HouseholdYearSummary",
    "IdempotencyKey",
    "ImportBatch",
    "LedgerEntry",
    "LedgerWarning",
    "LoginFailure",
    "Membership",
    "MonthlySummary",
    "MonthReopening",
    "Objection",
    "PartyOrg",
    "PartyOrgUpgrade",
    "Project",
    "ProjectTarget",
    "ProjectYearSummary",
    "VillageBenefitSummary",
    "VillageRoster",
    "VillageYearSummary",
    "User",
    "Voucher",
    "UserSession",
]
