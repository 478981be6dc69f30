"""The CLI only parses and renders: every command module reaches AWS, the cluster use cases and the emulator through
the SDK (batchctl.api), never directly."""

from __future__ import annotations

import ast
from pathlib import Path

import batchctl.cli

CLI_DIR = Path(batchctl.cli.__file__).parent
# What only the SDK may import: AWS clients, the cluster use cases (CDK behind them), the emulator, image builds.
FORBIDDEN = (
    "boto3",
    "botocore",
    "batchctl.aws",
    "batchctl.cluster",
    "batchctl.infra",
    "batchctl.local",
    "batchctl.images",
)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, at any depth (imports inside functions count as much as top-level ones)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def forbidden(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in FORBIDDEN)


def test_cli_modules_call_only_the_sdk() -> None:
    files = sorted(CLI_DIR.glob("*.py"))
    assert len(files) > 5
    offences = [
        f"{path.name}:{line}: imports {module}"
        for path in files
        for line, module in imported_modules(path)
        if forbidden(module)
    ]
    assert offences == []


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n    from batchctl.cluster.deploy import Deployer\n    import boto3\n", encoding="utf-8"
    )
    assert [module for _, module in imported_modules(sample) if forbidden(module)] == [
        "batchctl.cluster.deploy.Deployer",
        "boto3",
    ]
