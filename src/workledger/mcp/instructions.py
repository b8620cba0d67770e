"""What the MCP server tells a client once, for the model beside the tools: what the
ledger is, where to start, and what every tool would otherwise repeat."""

INSTRUCTIONS = (
    "workledger keeps this project's status: work items (project > session/task/research, "
    "5 levels), vendor extractor health, deployments, enhancements and the project "
    "configuration. Start with get_project_status; claim_next_work_item takes the next "
    "ready task in one call (list_work_items ready=true shows them). Work item ids may be "
    "given as the short ids the report shows (the last 8 hex digits). "
    # Said once here rather than by every tool or argument it concerns (lean.EXPLAINED_ONCE,
    # lean.UNREAD_PATTERNS), for the budget of what a model reads of the tools
    # (docs/reference/mcp.md, "Which tools are offered").
    "A work item's metadata holds the keys of its item_type; its assignee is a client name "
    "(a claim sets yours). Dates are written 2027-01-15, quarters 2027-Q1. A change names "
    "the version you read and only the fields to change; on version_conflict re-read the "
    "record, re-apply your change and retry. The next page of a list: cursor=next_cursor, "
    "same filters. "
    # Nor as a type union in the input schemas, which would tell a model that any string
    # will do.
    "Integers may be sent as digit strings. "
    "Lists leave out each item's null and empty fields and defaults: an item without "
    "status is active, without priority medium, without ready not ready."
)
