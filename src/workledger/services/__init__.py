"""Use cases. One public method is one transaction; results are schemas; errors are domain
errors. Every door (MCP, REST, CLI) calls these and nothing below them."""
