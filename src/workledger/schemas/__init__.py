"""Pydantic v2 models shared by every door: Create / Update / Read per entity."""
