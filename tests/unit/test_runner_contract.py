"""The runner contract is written once: variable names, the output prefix rule and the index map."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from batchctl.runner import contract

SRC = Path(__file__).resolve().parents[2] / "src" / "batchctl"
NAMES = {
    value
    for key, value in vars(contract).items()
    if key.isupper() and isinstance(value, str) and value != contract.DEFAULT_JOB_NAME
} | set(contract.BUCKET_VARIABLES.values())


def test_no_module_but_the_contract_spells_a_contract_name() -> None:
    # The emulator (local/) plays AWS Batch itself and sets AWS_BATCH_* in the containers it runs.
    spelled = [
        f"{path.relative_to(SRC)}:{node.lineno}: {node.value}"
        for path in SRC.rglob("*.py")
        if path.name != "contract.py" and "local" not in path.relative_to(SRC).parts
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in NAMES
    ]
    assert spelled == []


def test_the_contract_imports_nothing_outside_the_standard_library() -> None:
    tree = ast.parse((SRC / "runner" / "contract.py").read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert modules <= {"__future__", "collections.abc"}


@pytest.mark.parametrize(
    ("override", "bucket", "name", "job_id", "expected"),
    [
        ("", "out", "hello", "abc", "s3://out/hello/abc/"),
        ("", "s3://out/", "a/b", "abc:3", "s3://out/a_b/abc/"),  # a child's id names its array
        ("", "out", None, "abc", "s3://out/job/abc/"),
        ("s3://out/first/id", "out", "hello", "abc", "s3://out/first/id/"),
        ("", "", "hello", "abc", None),
    ],
)
def test_output_base(override: str, bucket: str, name: str | None, job_id: str, expected: str | None) -> None:
    assert contract.output_base(override, bucket, name, job_id) == expected


def test_original_index_follows_the_map() -> None:
    assert contract.original_index(1, [1, 3]) == 3
    assert contract.original_index(None, [4]) == 4  # a plain job standing for one index of an earlier array
    assert contract.original_index(2, []) == 2
    with pytest.raises(contract.IndexMapError, match="outside"):
        contract.original_index(2, [1, 3])
    with pytest.raises(contract.IndexMapError, match="not an array child"):
        contract.original_index(None, [1, 3])
    assert contract.parse_index_map(contract.format_index_map([1, 3])) == [1, 3]
