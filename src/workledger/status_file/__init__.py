"""The ``.project_status.md`` file: parsing it (both shapes) into plain records."""
