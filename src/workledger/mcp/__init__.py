"""The MCP door: the services as tools for AI clients. Only ``server.py`` imports the SDK;
the tools are plain async functions whose signatures are their input schemas."""
