"""Roles, what each may do and how far it reaches (R-SEC-2): one matrix, role × capability × scope.

Plain data: pages, the API and actions ask `can(role, capability)` for the action and `reach(role)` (through
`tousu.complaints.access`) for the complaints it applies to — own, department or all. The permission-matrix
test (accounts/tests/test_permission_matrix.py) walks every page and API operation against these tables.
"""

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"  # front-line service agent: takes complaints by phone / on site
    SPECIALIST = "specialist"  # complaint specialist: investigates and proposes solutions
    MANAGER = "manager"  # department manager: owns a department's complaints, approves
    QUALITY = "quality"  # quality department: root cause, approvals above a manager's authority
    LEADER = "leader"  # senior manager / emergency-team leader
    ANALYST = "analyst"  # reads everything to write reviews, changes nothing
    ADMIN = "admin"  # configures the system


class Scope(StrEnum):
    """Which complaints a role sees and works on (and the plans, incidents, solutions, attachments and
    import jobs that belong to them)."""

    OWN = "own"  # those they own or took first
    DEPARTMENT = "department"  # ... and their department's (and the unassigned pool, for those who handle)
    ALL = "all"  # every department's


class Capability(StrEnum):
    RECORD = "record"  # record a complaint (entry form, API)
    IMPORT = "import"  # bulk import files
    VIEW_ALL_DEPARTMENTS = "view_all_departments"  # not granted below: it is `reach(role) == Scope.ALL`
    VIEW_PERSONAL_DATA = "view_personal_data"  # unmasked phone / email
    HANDLE = "handle"  # work on a complaint they can see (notes, attachments)
    TRANSFER = "transfer"
    OVERRIDE_RISK = "override_risk"
    APPROVE = "approve"
    LEAD_EMERGENCY = "lead_emergency"
    VIEW_REPORTS = "view_reports"
    CONFIGURE = "configure"


_ALL = frozenset(Capability) - {Capability.VIEW_ALL_DEPARTMENTS}

# How far each role reaches. Quality, leaders and analysts work across departments (root causes, approvals
# above a manager, emergencies, the review); front-line roles and managers stay in their department.
REACH: dict[Role, Scope] = {
    Role.AGENT: Scope.DEPARTMENT,
    Role.SPECIALIST: Scope.DEPARTMENT,
    Role.MANAGER: Scope.DEPARTMENT,
    Role.QUALITY: Scope.ALL,
    Role.LEADER: Scope.ALL,
    Role.ANALYST: Scope.ALL,
    Role.ADMIN: Scope.ALL,
}

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
            Capability.VIEW_PERSONAL_DATA,
            Capability.VIEW_REPORTS,
        }
    ),
    Role.LEADER: _ALL - {Capability.CONFIGURE},
    # Analysts read every department for the review but never see personal data (PIPL minimisation).
    Role.ANALYST: frozenset({Capability.VIEW_REPORTS}),
    Role.ADMIN: _ALL,
}


def reach(role: str) -> Scope | None:
    """How far the role reaches; None for a role Tousu does not know."""
    try:
        return REACH[Role(role)]
    except ValueError:
        return None


def covers(reached: Scope | None, scope: Scope) -> bool:
    """Whether a reach includes a complaint of `scope` (own ⊂ department ⊂ all)."""
    order = [Scope.OWN, Scope.DEPARTMENT, Scope.ALL]
    return reached is not None and order.index(scope) <= order.index(reached)


def can(role: str, capability: Capability) -> bool:
    try:
        if capability == Capability.VIEW_ALL_DEPARTMENTS:
            return REACH[Role(role)] == Scope.ALL
        return capability in CAPABILITIES[Role(role)]
    except ValueError:
        return False
