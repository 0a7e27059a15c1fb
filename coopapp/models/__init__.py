"""All mapped classes, importable from one place."""

from .areas import LEVELS, Area
from .audit import AuditEvent, AuditHead
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
)
from .orgs import PARTY_ORG_KINDS, Cooperative, PartyOrg
from .projects import CAPACITY_UNITS, PROJECT_TYPES, Project
from .users import ROLES, ApiToken, LoginFailure, User

__all__ = [
    "BASES",
    "DEDUCTION_KINDS",
    "OBJECTION_STATUSES",
    "PLAN_STATUSES",
    "Deduction",
    "Distribution",
    "DistributionLine",
    "Objection",
    "LEVELS",
    "Area",
    "AuditEvent",
    "AuditHead",
    "Household",
    "Membership",
    "IMPORT_KINDS",
    "ImportBatch",
    "KINDS",
    "PAYOUT_KINDS",
    "STATUSES",
    "ClosedMonth",
    "HouseholdYearSummary",
    "LedgerEntry",
    "MonthlySummary",
    "PARTY_ORG_KINDS",
    "Cooperative",
    "PartyOrg",
    "CAPACITY_UNITS",
    "PROJECT_TYPES",
    "Project",
    "ROLES",
    "ApiToken",
    "LoginFailure",
    "User",
]
