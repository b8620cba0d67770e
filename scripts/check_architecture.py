"""The rules of docs/architecture.md that import-linter cannot say, checked on the source.

Run by `make lint`; each finding names the file and line and says what to do instead.
Import rules (which package may import which) are import-linter's contracts, in
pyproject.toml."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "workledger"
MAX_LINES = 400
DOORS = ("api", "web", "mcp", "cli", "http")
# Where SQL may be written: the repositories and the storage plumbing under them.
SQL_HOMES = (
    "repositories",
    "db",
    "models",
    "migrations",
    "fallback/mirror.py",
    "fallback/mirror_copy.py",
)
# Text that points at files a user of the project does not have.
FOREIGN_REFERENCES = ("CONTRACT §", "CONTRACT.md", "../shared", "TARGETS.md")


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Module:
    path: Path
    text: str
    tree: ast.Module

    @property
    def place(self) -> str:
        """The path below src/workledger, e.g. ``api/routes/vendors.py``."""
        return self.path.relative_to(PACKAGE).as_posix()

    def within(self, *places: str) -> bool:
        return any(self.place == p or self.place.startswith(p.rstrip("/") + "/") for p in places)


def modules() -> Iterator[Module]:
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        yield Module(path, text, ast.parse(text, filename=str(path)))


def calls(tree: ast.AST) -> Iterator[tuple[ast.Call, str]]:
    """Every call with the last name of what it calls (``repo.get`` gives ``get``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                yield node, func.id
            elif isinstance(func, ast.Attribute):
                yield node, func.attr


def too_long(module: Module) -> Iterator[Finding]:
    lines = module.text.count("\n")
    if lines > MAX_LINES:
        yield Finding(
            module.path,
            1,
            f"{lines} lines (at most {MAX_LINES}): split the module along its seams, one "
            "concern a module, and name each for what it holds",
        )


def sql_outside_repositories(module: Module) -> Iterator[Finding]:
    if module.within(*SQL_HOMES):
        return
    for call, name in calls(module.tree):
        if name == "text":
            yield Finding(
                module.path,
                call.lineno,
                "SQL text outside the repositories: put the statement in a repository "
                "method and call that",
            )


def doors_building_services(module: Module) -> Iterator[Finding]:
    if not module.within(*DOORS):
        return
    for call, name in calls(module.tree):
        if name.endswith(("Service", "Repository")):
            yield Finding(
                module.path,
                call.lineno,
                f"a door builds {name}: ask the container for the service "
                "(container.work_items, …), which is built once with its dependencies",
            )
        elif name == "transaction":
            yield Finding(
                module.path,
                call.lineno,
                "a door opens a transaction: call a service method, which owns its "
                "transaction and its rules",
            )


def clocks(module: Module) -> Iterator[Finding]:
    if module.place == "db/types.py":
        return
    for call, name in calls(module.tree):
        if name in {"now", "utcnow", "today"} and isinstance(call.func, ast.Attribute):
            owner = call.func.value
            if isinstance(owner, ast.Name) and owner.id in {"datetime", "date"}:
                yield Finding(
                    module.path,
                    call.lineno,
                    f"{owner.id}.{name}(): use workledger.db.types.utcnow(), the one "
                    "clock, aware and in UTC",
                )


def foreign_references(paths: list[Path]) -> Iterator[Finding]:
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for reference in FOREIGN_REFERENCES:
                if reference in line:
                    yield Finding(
                        path,
                        number,
                        f"{reference!r} names a file users of the project do not have: "
                        "cite the reference in docs/ (docs/reference/…) instead",
                    )


RULES: tuple[Callable[[Module], Iterator[Finding]], ...] = (
    too_long,
    sql_outside_repositories,
    doors_building_services,
    clocks,
)


def main() -> int:
    findings = [finding for module in modules() for rule in RULES for finding in rule(module)]
    written = [
        *PACKAGE.rglob("*.py"),
        *PACKAGE.rglob("*.html"),
        *(ROOT / "docs").rglob("*.md"),
        ROOT / "README.md",
    ]
    findings += foreign_references(sorted(written))
    for finding in findings:
        print(finding)
    if findings:
        print(f"\n{len(findings)} finding(s); the rules are in docs/architecture.md.")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
