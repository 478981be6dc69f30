"""`-o json` on every command, after the command: one JSON document on stdout, success or error, same exit code.

The commands are enumerated from the click group, so a new command without a case here fails the first test.
Cases run in-process against a cluster deployed into the session's emulator (nothing is mocked).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from tests.emulator_fixtures import ACCOUNT_ID, BASE_IMAGE, REGION, batchctl_home, require_image, require_registry
from tests.helpers import DEMO_CONFIG, capture_cli, write_yaml

from batchctl.api.shapes import ERROR_KEYS, SHAPES
from batchctl.cli.main import cli, load_all_commands

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]  # after the command's name; "{dir}": the module's work directory, "{job}": a job's id
    code: int
    config: str = "deployed"  # deployed | broken | missing: which -f the command gets
    home: str = "emulator"  # emulator | empty: which BATCHCTL_HOME (an empty one: no emulator running)
    result_on_error: bool = False  # the command prints its result, then fails (the result is the document)


# At least one case per command; every command with a way to fail has an error case.
CASES: dict[str, list[Case]] = {
    "init": [Case(("-f", "{dir}/new.yaml", "--force"), 0), Case(("-f", "{dir}/jobs.yaml"), 1)],
    "validate": [
        Case(("--no-security",), 0),
        Case(("--no-security",), 1, config="broken"),
        Case((), 1, config="missing"),
    ],
    "synth": [Case((), 0), Case(("--data",), 0), Case((), 1, config="missing")],
    "diff": [Case((), 0), Case((), 1, config="missing")],
    "deploy": [Case(("--yes",), 0), Case(("--yes",), 1, config="broken")],
    "status": [Case((), 0), Case((), 1, home="empty")],
    "destroy": [Case(("--yes",), 1, config="missing"), Case(("--yes", "--bogus"), 2)],
    "config schema": [Case((), 0), Case(("extra",), 2)],
    "local up": [Case(("--port", "0"), 2)],
    "local down": [Case((), 0, home="empty")],
    "local status": [Case((), 0), Case((), 1, home="empty", result_on_error=True)],
    "local interrupt": [Case(("no-such-job",), 1)],
    "submit": [Case(("{dir}/jobs.yaml", "--dry-run"), 0), Case(("{dir}/bad-jobs.yaml",), 1)],
    "resubmit": [Case(("{job}", "--dry-run"), 0), Case(("no-such-job",), 1)],
    "jobs": [Case(("--all",), 0), Case(("--since", "soon"), 2)],
    "show": [Case(("{job}",), 0), Case(("no-such-job",), 1)],
    "logs": [Case(("{job}",), 0), Case(("no-such-job",), 1)],
    "cancel": [Case(("{job}",), 0), Case(("no-such-job",), 1), Case((), 2)],
    "queues": [Case((), 0), Case(("--all",), 0), Case((), 1, home="empty")],
    "outputs": [Case(("{job}",), 0), Case(("no-such-job",), 1)],
    "why": [Case(("{job}",), 0), Case(("no-such-job",), 1)],
    "usage": [Case(("{job}",), 0), Case(("--since", "banana"), 2)],
    "run": [Case(("--dry-run", "--", "echo", "hi"), 0), Case(("--queue", "no-such-queue", "--", "echo"), 1)],
    "image build": [Case(("{dir}",), 1)],
    "image push": [Case(("helloworld",), 0), Case(("never-built",), 1), Case((), 1, config="missing")],
    "ui": [Case(("--dry-run",), 0), Case(("--host", "0.0.0.0"), 2), Case(("--dry-run",), 1, config="missing")],
    "completion": [Case(("bash",), 0), Case(("zsh",), 0), Case(("fish",), 0), Case(("tcsh",), 2)],
}


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    commands = load_all_commands() if group is cli else group.commands
    for name, command in commands.items():
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name))


def test_every_command_has_json_cases_and_a_shape() -> None:
    commands = set(leaf_commands(cli))
    assert sorted(commands - set(CASES)) == [], "add -o json cases for the new commands"
    assert sorted(set(CASES) - commands) == []
    assert sorted(commands ^ set(SHAPES)) == [], "name the new commands' results in batchctl/api/shapes.py"
    assert any(case.code != 0 for cases in CASES.values() for case in cases)


@dataclass(frozen=True)
class Workspace:
    directory: Path
    configs: dict[str, Path]
    empty_home: Path
    job_id: str  # a job of the deployed cluster (its image is not built: it fails, which is all a listing needs)


@pytest.fixture(scope="module")
def workspace(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    require_image(BASE_IMAGE)
    require_registry()
    import docker

    engine = docker.from_env()
    built = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/jsonout:helloworld"  # what `image build` would have tagged
    engine.images.get(BASE_IMAGE).tag(built)
    try:
        yield _workspace(tmp_path_factory)
    finally:
        engine.images.remove(built, noprune=True)
        engine.close()


def _workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    directory = tmp_path_factory.mktemp("json")
    deployed = write_yaml(directory / "batchctl.yaml", {**DEMO_CONFIG, "name": "jsonout"})
    broken = write_yaml(directory / "broken.yaml", {**DEMO_CONFIG, "name": "jsonout", "queues": []})
    jobs = {"jobs": [{"name": "hello", "queue": "cpu", "definition": "helloworld", "command": "echo hi"}]}
    write_yaml(directory / "jobs.yaml", jobs)
    write_yaml(directory / "bad-jobs.yaml", {"jobs": [{**jobs["jobs"][0], "queue": "no-such-queue"}]})
    code, _, err = capture_cli(["--local", "-f", str(deployed), "deploy", "--yes"])
    assert code == 0, err
    code, out, err = capture_cli(["--local", "-f", str(deployed), "-o", "json", "submit", str(directory / "jobs.yaml")])
    assert code == 0, err
    (job,) = json.loads(out)["jobs"]
    code, _, err = capture_cli(["--local", "-f", str(deployed), "submit", str(directory / "jobs.yaml"), "--wait"])
    assert code == 1, err  # it fails (no image): a finished job, for resubmit
    configs = {"deployed": deployed, "broken": broken, "missing": directory / "missing.yaml"}
    return Workspace(directory, configs, tmp_path_factory.mktemp("empty-home"), job["job_id"])


def run_case(workspace: Workspace, command: str, case: Case, *, before: bool = False) -> tuple[int, str, str]:
    args = [arg.replace("{dir}", str(workspace.directory)).replace("{job}", workspace.job_id) for arg in case.args]
    output = ["-o", "json"]
    if not before and "--" in args:  # what follows `--` is the job's own command line (`run -- COMMAND ...`)
        at = args.index("--")
        args = [*args[:at], *output, *args[at:]]
    words = [
        "--local",
        "-f",
        str(workspace.configs[case.config]),
        *(output if before else []),
        *command.split(),
        *args,
        *([] if before or "--" in args else output),
    ]
    if case.home == "empty":
        with batchctl_home(workspace.empty_home):
            return capture_cli(words)
    return capture_cli(words)


@pytest.mark.parametrize(
    ("command", "case"),
    [(command, case) for command, cases in CASES.items() for case in cases],
    ids=[f"{command}-{i}" for command, cases in CASES.items() for i, _ in enumerate(cases)],
)
def test_json_after_the_command(workspace: Workspace, command: str, case: Case) -> None:
    code, out, err = run_case(workspace, command, case)
    assert code == case.code, err
    document = json.loads(out)  # exactly one JSON document
    if case.code == 0 or case.result_on_error:
        assert_shape(SHAPES[command], document)
        return
    assert list(document) == ["error"]
    error = document["error"]
    assert tuple(error) == ERROR_KEYS
    assert error["exit_code"] == code
    assert error["message"] and error["type"]
    assert isinstance(error["details"], list)
    if code == 1:
        # The same one line as without -o json, on stderr.
        assert f"Error: {error['message']}" in " ".join(err.split())


def assert_shape(shape: Any, document: Any) -> None:
    """The documented keys, no more, no fewer (a list: those of each item)."""
    items = document if shape.many else [document]
    assert isinstance(items, list) and all(isinstance(item, dict) for item in items), document
    for item in items:
        if shape.document:
            assert shape.top_level_keys() <= set(item)
        else:
            assert set(item) == shape.top_level_keys()


def test_json_before_and_after_the_command_are_the_same(workspace: Workspace) -> None:
    after = run_case(workspace, "status", Case((), 0))
    before = run_case(workspace, "status", Case((), 0), before=True)
    assert after[0] == before[0] == 0
    assert json.loads(after[1]) == json.loads(before[1])
    assert json.loads(after[1])["stack_status"] == "CREATE_COMPLETE"


def test_usage_errors_under_json(workspace: Workspace) -> None:
    code, out, _ = run_case(workspace, "no-such-command", Case((), 2))
    assert code == 2
    assert json.loads(out)["error"]["type"] == "UsageError"
