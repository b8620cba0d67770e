"""The people's door: web pages served by ``workledger serve`` (docs/reference/web.md)."""
