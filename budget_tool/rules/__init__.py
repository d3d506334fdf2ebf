"""The checks, one module per family. Each rule declares the codes it can emit.

Rules run in the order their modules are imported here: structure first, since it marks the
sheets whose rows moved, which the later rules then leave alone.
"""

# isort: off
from budget_tool.rules import structure, formulas, inputs, amounts, ceilings, eligibility
from budget_tool.rules import allocations, typed, cents, completeness
from budget_tool.rules.base import RULES, Context, RuleFunction

# isort: on

__all__ = [
    "RULES",
    "Context",
    "RuleFunction",
    "allocations",
    "amounts",
    "cents",
    "completeness",
    "ceilings",
    "eligibility",
    "formulas",
    "inputs",
    "structure",
    "typed",
]
