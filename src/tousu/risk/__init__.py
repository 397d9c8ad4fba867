"""Risk assessment in plain Python: policy schema, phrase matcher, assess(). No Django imports."""

from tousu.risk.assess import assess, engine_for
from tousu.risk.model import Assessment, DefectGrade, Evidence, Facts, History, Level, Priority
from tousu.risk.policy import Policy, PolicyError, load_policy, load_policy_text

__all__ = ["Assessment", "DefectGrade", "Evidence", "Facts", "History", "Level", "Policy", "PolicyError",
           "Priority", "assess", "engine_for", "load_policy", "load_policy_text"]
