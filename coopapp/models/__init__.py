"""All mapped classes, importable from one place."""

from coopapp.models.areas import LEVELS, Area
from coopapp.models.audit import AuditEvent, AuditHead
from coopapp.models.disclosures import Disclosure
from coopapp.models.distributions import Deduction, Distribution, DistributionLine, Objection
from coopapp.models.households import Household, Membership
from coopapp.models.imports import IMPORT_KINDS, ImportBatch
from coopapp.models.ledger import (
    ClosedMonth,
    HouseholdYearSummary,
    LedgerEntry,
    MonthlySummary,
    ProjectYearSummary,
    VillageBenefitSummary,
)
from coopapp.models.orgs import Cooperative, PartyOrg, PartyOrgUpgrade
from coopapp.models.projects import Project, ProjectTarget
from coopapp.models.users import ROLES, ApiToken, LoginFailure, User, UserSession

__all__ = [
    "IMPORT_KINDS",
    "LEVELS",
    "ROLES",
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
    "PartyOrgUpgrade",
    "Project",
    "ProjectTarget",
    "ProjectYearSummary",
    "VillageBenefitSummary",
    "User",
    "UserSession",
]
