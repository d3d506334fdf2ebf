"""budget-tool: generate, check and consolidate the budget workbooks (annexes 2 and 3) of the
convention départementale pour l'insertion et l'emploi (programme 102).

Kept light on purpose: the CLI starts fast, heavy libraries load inside the functions.
"""

__version__ = "0.1.0"
