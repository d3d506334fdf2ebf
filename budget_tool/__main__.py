from budget_tool.cli import main

main()
