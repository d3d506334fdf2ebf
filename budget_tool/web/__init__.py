"""``budget-tool serve``: the same checks and consolidation on a web page (optional extra
``[web]``). Nothing here is imported by the CLI until the ``serve`` command runs."""
