"""The tool functions, one module per area."""
