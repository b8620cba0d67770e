"""What the HTTP doors (REST under /api, the web pages, MCP over HTTP) share: the
container a request is served by, the per-address limiter, and the middleware that says
which layer served an answer. A door imports from here, never from another door."""
