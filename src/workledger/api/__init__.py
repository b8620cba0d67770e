"""The REST door (FastAPI): routes parse, call a service, and render the answer."""
