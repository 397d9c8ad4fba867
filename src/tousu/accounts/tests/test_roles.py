from tousu.accounts.roles import CAPABILITIES, Capability, Role, can


def test_every_role_has_capabilities():
    assert set(CAPABILITIES) == set(Role)


def test_agents_record_but_do_not_approve_or_override():
    assert can("agent", Capability.RECORD)
    assert not can("agent", Capability.APPROVE)
    assert not can("agent", Capability.OVERRIDE_RISK)
    assert not can("agent", Capability.VIEW_ALL_DEPARTMENTS)


def test_analysts_read_everything_but_change_nothing_and_see_no_personal_data():
    assert can("analyst", Capability.VIEW_ALL_DEPARTMENTS)
    assert can("analyst", Capability.VIEW_REPORTS)
    for capability in (Capability.RECORD, Capability.HANDLE, Capability.VIEW_PERSONAL_DATA, Capability.APPROVE):
        assert not can("analyst", capability)


def test_only_admins_configure():
    assert [role for role in Role if can(role, Capability.CONFIGURE)] == [Role.ADMIN]


def test_the_leader_leads_emergencies():
    assert can("leader", Capability.LEAD_EMERGENCY)
    assert not can("manager", Capability.LEAD_EMERGENCY)


def test_an_unknown_role_can_do_nothing():
    assert not any(can("intruder", capability) for capability in Capability)


def test_every_role_has_a_reach_and_all_reach_is_what_view_all_departments_means():
    from tousu.accounts.roles import REACH, Scope, reach

    assert set(REACH) == set(Role)
    for role in Role:
        assert can(role, Capability.VIEW_ALL_DEPARTMENTS) == (reach(role) == Scope.ALL)
        assert Capability.VIEW_ALL_DEPARTMENTS not in CAPABILITIES[role]  # one source: REACH
    assert reach("intruder") is None


def test_a_reach_covers_the_scopes_inside_it():
    from tousu.accounts.roles import Scope, covers

    assert covers(Scope.ALL, Scope.OWN) and covers(Scope.ALL, Scope.DEPARTMENT) and covers(Scope.ALL, Scope.ALL)
    assert covers(Scope.DEPARTMENT, Scope.OWN) and not covers(Scope.DEPARTMENT, Scope.ALL)
    assert covers(Scope.OWN, Scope.OWN) and not covers(Scope.OWN, Scope.DEPARTMENT)
    assert not covers(None, Scope.OWN)
