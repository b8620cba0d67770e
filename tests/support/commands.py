"""How tests launch workledger: through the console script that installing the package
puts beside the interpreter, the command `make serve` and users run. A broken
``[project.scripts]`` entry fails every test that starts a process."""

from __future__ import annotations

import sys
from pathlib import Path

WORKLEDGER = str(Path(sys.executable).with_name("workledger"))
