"""Roles and what each may do. Plain data: pages, the API and actions ask `can(role, capability)`."""

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"  # front-line service agent: takes complaints by phone / on site
    SPECIALIST = "specialist"  # complaint specialist: investigates and proposes solutions
    MANAGER = "manager"  # department manager: owns a department's complaints, approves
    QUALITY = "quality"  # quality department: root cause, approvals above a manager's authority
    LEADER = "leader"  # senior manager / emergency-team leader
    ANALYST = "analyst"  # reads everything to write reviews, changes nothing
    ADMIN = "admin"  # configures the system


class Capability(StrEnum):
    RECORD = "record"  # record a complaint (entry form, API)
    IMPORT = "import"  # bulk import files
    VIEW_ALL_DEPARTMENTS = "view_all_departments"
    VIEW_PERSONAL_DATA = "view_personal_data"  # unmasked phone / email
    HANDLE = "handle"  # work on a complaint they can see (notes, attachments)
    TRANSFER = "transfer"
    OVERRIDE_RISK = "override_risk"
    APPROVE = "approve"
    LEAD_EMERGENCY = "lead_emergency"
    VIEW_REPORTS = "view_reports"
    CONFIGURE = "configure"


_ALL = frozenset(Capability)

CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.AGENT: frozenset(
        {Capability.RECORD, Capability.HANDLE, Capability.TRANSFER, Capability.VIEW_PERSONAL_DATA}
    ),
    Role.SPECIALIST: frozenset(
        {
            Capability.RECORD,
            Capability.IMPORT,
            Capability.HANDLE,
            Capability.TRANSFER,
            Capability.OVERRIDE_RISK,
            Capability.APPROVE,
            Capability.VIEW_PERSONAL_DATA,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Capability.RECORD,
            Capability.IMPORT,
            Capability.HANDLE,
            Capability.TRANSFER,
            Capability.OVERRIDE_RISK,
            Capability.APPROVE,
            Capability.VIEW_PERSONAL_DATA,
            Capability.VIEW_REPORTS,
        }
    ),
    Role.QUALITY: frozenset(
        {
            Capability.RECORD,
            Capability.IMPORT,
            Capability.HANDLE,
            Capability.TRANSFER,
            Capability.OVERRIDE_RISK,
            Capability.APPROVE,
            Capability.VIEW_ALL_DEPARTMENTS,
            Capability.VIEW_PERSONAL_DATA,
            Capability.VIEW_REPORTS,
        }
    ),
    Role.LEADER: _ALL - {Capability.CONFIGURE},
    # Analysts read every department for the review but never see personal data (PIPL minimisation).
    Role.ANALYST: frozenset({Capability.VIEW_ALL_DEPARTMENTS, Capability.VIEW_REPORTS}),
    Role.ADMIN: _ALL,
}


def can(role: str, capability: Capability) -> bool:
    try:
        return capability in CAPABILITIES[Role(role)]
    except ValueError:
        return False
