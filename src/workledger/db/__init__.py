"""Engines, portable column types and the one transaction seam."""
