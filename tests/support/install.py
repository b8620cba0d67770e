"""workledger installed as a user installs it: a wheel built from the checkout, put into
an environment of its own outside the checkout, by uv (the README's default) or, where
uv is absent, by pip in a fresh virtual environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT_SECONDS = 300
# The base interpreter, not the checkout's .venv: an installed tool must not lean on it.
PYTHON = getattr(sys, "_base_executable", sys.executable)


def find_uv() -> str | None:
    """uv beside the test's interpreter (a dev dependency), else on the PATH."""
    beside = Path(sys.executable).with_name("uv")
    return str(beside) if beside.exists() else shutil.which("uv")


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Standard output of a command that must succeed; its output otherwise."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def installer_env(**settings: str) -> dict[str, str]:
    """The test's environment without what would point an installer at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    return env | {"UV_PYTHON_DOWNLOADS": "never", **settings}


def build_wheel(out_dir: Path) -> Path:
    """The wheel of the checkout, as `uv build` or `pip wheel` makes it."""
    uv = find_uv()
    if uv is not None:
        run([uv, "build", "--wheel", "--out-dir", str(out_dir), str(CHECKOUT)], cwd=out_dir)
    else:
        pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out_dir)]
        run([*pip, str(CHECKOUT)], cwd=out_dir)
    (wheel,) = out_dir.glob("workledger-*.whl")
    return wheel


@dataclass(frozen=True)
class Installed:
    """Where an installation put the command, and the interpreter it runs on."""

    program: str
    python: str


def install_tool(wheel: Path, root: Path) -> Installed:
    """``uv tool install`` into ``root`` (its tools and bin directories), else a fresh
    virtual environment and pip."""
    uv = find_uv()
    if uv is None:
        venv = root / "venv"
        run([PYTHON, "-m", "venv", str(venv)], cwd=root)
        run([str(venv / "bin" / "python"), "-m", "pip", "install", str(wheel)], cwd=root)
        return Installed(str(venv / "bin" / "workledger"), str(venv / "bin" / "python"))
    env = installer_env(UV_TOOL_DIR=str(root / "tools"), UV_TOOL_BIN_DIR=str(root / "bin"))
    run([uv, "tool", "install", "--python", PYTHON, str(wheel)], cwd=root, env=env)
    python = root / "tools" / "workledger" / "bin" / "python"
    return Installed(str(root / "bin" / "workledger"), str(python))


def pipx_install(wheel: Path, root: Path) -> str:
    """``pipx install`` into ``root``; the command it put on its bin directory."""
    pipx = Path(sys.executable).with_name("pipx")
    root.mkdir(parents=True, exist_ok=True)
    env = installer_env(
        PIPX_HOME=str(root / "home"), PIPX_BIN_DIR=str(root / "bin"), PIPX_MAN_DIR=str(root / "man")
    )
    run([str(pipx), "install", "--python", PYTHON, str(wheel)], cwd=root, env=env)
    return str(root / "bin" / "workledger")


def user_env(program: str, home: Path, **settings: str) -> dict[str, str]:
    """A user's shell after installing: the tool's bin directory on a plain PATH, a home
    of their own, no WORKLEDGER_* setting but ``settings``, nothing of the checkout."""
    home.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join([str(Path(program).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    named = {f"WORKLEDGER_{name.upper()}": value for name, value in settings.items()}
    return {"PATH": path, "HOME": str(home), **named}
