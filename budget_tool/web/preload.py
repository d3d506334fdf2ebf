"""Imported once by the process the workers are forked from: the library is loaded and its
templates read before any request, so that a new worker starts warm."""

from budget_tool.web.jobs import warm

warm()
