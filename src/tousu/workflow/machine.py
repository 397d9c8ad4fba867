"""The handling state machine (R-WF-1) as one table: which action moves a complaint from which states to
which, who may take it, and which stage clocks it stops and starts. Plain Python, no Django."""

from dataclasses import dataclass
from enum import StrEnum

from tousu.accounts.roles import Capability, can
from tousu.timeline.rules import Stage


class State(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    SOLUTION_PROPOSED = "solution_proposed"
    APPROVED = "approved"
    CARRIED_OUT = "carried_out"
    CUSTOMER_FEEDBACK = "customer_feedback"
    CLOSED = "closed"
    ARCHIVED = "archived"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START_INVESTIGATION = "start_investigation"
    PROPOSE_SOLUTION = "propose_solution"  # taken by submitting a solution for approval
    APPROVE = "approve"  # taken by the last approval step, never directly
    REJECT = "reject"  # taken by any approval step that rejects
    CARRY_OUT = "carry_out"
    REQUEST_FEEDBACK = "request_feedback"
    CLOSE = "close"
    ARCHIVE = "archive"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[State]
    target: State
    capability: Capability
    meets: frozenset[Stage] = frozenset()  # stage clocks this action stops (met)
    starts: frozenset[Stage] = frozenset()  # stage clocks it starts
    needs_reason: bool = False
    direct: bool = True  # False: only another action (approval, survey) takes it


def _t(sources, target, capability, meets=(), starts=(), **kw) -> Transition:
    return Transition(frozenset(sources), target, capability, frozenset(meets), frozenset(starts), **kw)


S, St = State, Stage
TRANSITIONS: dict[Action, Transition] = {
    Action.ACKNOWLEDGE: _t({S.RECEIVED}, S.ACKNOWLEDGED, Capability.HANDLE, meets={St.ACKNOWLEDGE}),
    Action.START_INVESTIGATION: _t({S.RECEIVED, S.ACKNOWLEDGED}, S.INVESTIGATING, Capability.HANDLE,
                                   meets={St.ACKNOWLEDGE, St.FIRST_RESPONSE}, starts={St.INVESTIGATION}),
    Action.PROPOSE_SOLUTION: _t({S.INVESTIGATING}, S.SOLUTION_PROPOSED, Capability.HANDLE,
                                meets={St.INVESTIGATION}, starts={St.APPROVAL}, direct=False),
    Action.APPROVE: _t({S.SOLUTION_PROPOSED}, S.APPROVED, Capability.APPROVE, meets={St.APPROVAL},
                       starts={St.CUSTOMER_FEEDBACK}, direct=False),
    Action.REJECT: _t({S.SOLUTION_PROPOSED}, S.INVESTIGATING, Capability.APPROVE, meets={St.APPROVAL},
                      starts={St.INVESTIGATION}, needs_reason=True, direct=False),
    Action.CARRY_OUT: _t({S.APPROVED}, S.CARRIED_OUT, Capability.HANDLE,
                         meets={St.SOLUTION, St.CUSTOMER_FEEDBACK}, starts={St.FOLLOW_UP}),
    Action.REQUEST_FEEDBACK: _t({S.CARRIED_OUT}, S.CUSTOMER_FEEDBACK, Capability.HANDLE),
    Action.CLOSE: _t({S.CARRIED_OUT, S.CUSTOMER_FEEDBACK}, S.CLOSED, Capability.HANDLE, meets=set(Stage)),
    Action.ARCHIVE: _t({S.CLOSED}, S.ARCHIVED, Capability.APPROVE),
    Action.REOPEN: _t({S.CARRIED_OUT, S.CUSTOMER_FEEDBACK, S.CLOSED}, S.INVESTIGATING, Capability.HANDLE,
                      meets=set(Stage), starts={St.INVESTIGATION, St.SOLUTION}, needs_reason=True),
}

# Stage clocks started when a complaint is recorded.
INTAKE_STAGES = frozenset({Stage.ACKNOWLEDGE, Stage.FIRST_RESPONSE, Stage.SOLUTION})
# A complaint may wait for the customer (its clocks paused) only while someone is working on it.
PAUSABLE = frozenset({State.ACKNOWLEDGED, State.INVESTIGATING, State.CUSTOMER_FEEDBACK})
OPEN_STATES = frozenset(State) - {State.CLOSED, State.ARCHIVED}


class TransitionError(ValueError):
    """The action is not allowed from this state; the message says so in plain words."""


def allowed(action: Action, state: str, role: str, *, direct_only: bool = True) -> bool:
    transition = TRANSITIONS[action]
    return (State(state) in transition.sources and can(role, transition.capability)
            and (transition.direct or not direct_only))


def available_actions(state: str, role: str) -> list[Action]:
    """What a person in this role may do next, for pages and the API alike."""
    return [action for action in TRANSITIONS if allowed(action, state, role)]


def check(action: Action, state: str) -> Transition:
    transition = TRANSITIONS[action]
    if State(state) not in transition.sources:
        raise TransitionError(f"cannot {action.value} a complaint that is {state}; allowed from "
                              + ", ".join(sorted(s.value for s in transition.sources)))
    return transition
