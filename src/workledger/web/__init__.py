"""The people's door: web pages served by ``workledger serve`` (CONTRACT §11)."""
