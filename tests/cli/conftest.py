from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from workledger.container import Container


@pytest.fixture
def cli_env(database_url: str, container: Container, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKLEDGER_")}
    env.update(WORKLEDGER_DATABASE_URL=database_url, WORKLEDGER_JWT_SECRET=TEST_SECRET)
    return env
