"""All mapped classes, importable from one place."""

from .areas import LEVELS, Area
from .audit import AuditEvent, AuditHead
from .disclosures import Disclosure
from .distributions import (
    BASES,
    DEDUCTION_KINDS,
    OBJECTION_STATUSES,
    PLAN_STATUSES,
    Deduction,
    Distribution,
    DistributionLine,
    Objection,
)
from .households import Household, Membership
from .imports import IMPORT_KINDS, ImportBatch
from .ledger import (
    KINDS,
    PAYOUT_KINDS,
    STATUSES,
    ClosedMonth,
    HouseholdYearSummary,
    LedgerEntry,
    MonthlySummary,
    ProjectYearSummary,
    VillageBenefitSummary,
)
from .orgs import PARTY_ORG_KINDS, Cooperative, PartyOrg
from .projects import CAPACITY_UNITS, PROJECT_TYPES, Project
from .users import ROLES, ApiToken, LoginFailure, User

__all__ = [
    "BASES",
    "CAPACITY_UNITS",
    "DEDUCTION_KINDS",
    "IMPORT_KINDS",
    "KINDS",
    "LEVELS",
    "OBJECTION_STATUSES",
    "PARTY_ORG_KINDS",
    "PAYOUT_KINDS",
    "PLAN_STATUSES",
    "PROJECT_TYPES",
    "ROLES",
    "STATUSES",
    "ApiToken",
    "Area",
    "AuditEvent",
    "AuditHead",
    "ClosedMonth",
    "Cooperative",
    "Deduction",
    "Disclosure",
    "Distribution",
    "DistributionLine",
    "Household",
    "HouseholdYearSummary",
    "ImportBatch",
    "LedgerEntry",
    "LoginFailure",
    "Membership",
    "MonthlySummary",
    "Objection",
    "PartyOrg",
    "Project",
    "ProjectYearSummary",
    "VillageBenefitSummary",
    "User",
]
