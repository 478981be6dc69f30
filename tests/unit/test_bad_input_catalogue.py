# ruff: noqa: E501  (a table of cases: one case a line reads best)
"""The catalogue of bad input: config files, job files and the command line.

Every case asserts the exit code (1, or 2 for command-line usage), that the first error line names the problem
and its place (FILE:LINE, the job and field, or the option), that no traceback appears, and that nothing was
created (the working directory and BATCHCTL_HOME are as before; payloads that would write a file did not).
None of these cases reaches AWS: the ones that reach the local emulator are in
tests/integration/test_bad_input_emulator.py, which checks stacks, jobs and buckets through boto3.
The parser attacks also get loose time and memory bounds here; exact figures: benchmarks/bench_parser_attacks.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import run_cli

from batchctl.local import process

CONFIG = """name: demo
region: us-east-1
compute_environments:
  - name: cpu-spot
    type: SPOT
    max_vcpus: 16
queues:
  - name: cpu
    compute_environments: [cpu-spot]
job_definitions:
  - name: helloworld
    image: helloworld
    memory: 512
"""

JOBS = """jobs:
  - name: first
    queue: cpu
    definition: helloworld
    command: echo hi
  - name: second
    queue: cpu
    definition: helloworld
"""


def alias_bomb(levels: int = 9, width: int = 9, prefix: str = "") -> str:
    lines = [f"{prefix}l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"{prefix}l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def config_with(old: str, new: str) -> str:
    assert old in CONFIG, old
    return CONFIG.replace(old, new, 1)


def jobs_with(extra: str = "", old: str | None = None, new: str = "") -> str:
    text = JOBS if old is None else JOBS.replace(old, new, 1)
    return text + extra


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]  # {config}, {jobs}, {dir} are replaced by the case's paths
    first: str  # the first error line must contain this (formatted with the same paths)
    code: int = 1
    config: str | bytes | None = CONFIG
    jobs: str | bytes | None = None
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path], None] | None = None  # makes special files (links, FIFOs, directories)
    marker: bool = False  # the input would write {dir}/pwned if it ran code


def validate(case_id: str, config: str | bytes | None, first: str, **extra: Any) -> Case:
    return Case(case_id, ["-f", "{config}", "validate"], first, config=config, **extra)


def dry_run(case_id: str, jobs: str | bytes | None, first: str, **extra: Any) -> Case:
    return Case(case_id, ["-f", "{config}", "submit", "--dry-run", "{jobs}"], first, jobs=jobs, **extra)


def usage(case_id: str, args: list[str], first: str, **extra: Any) -> Case:
    return Case(case_id, args, first, code=2, **extra)


def _symlink_loop(name: str) -> Callable[[Path], None]:
    def make(directory: Path) -> None:
        (directory / f"{name}.loop").symlink_to(directory / f"{name}.loop2")
        (directory / f"{name}.loop2").symlink_to(directory / f"{name}.loop")
        (directory / name).unlink()
        (directory / name).symlink_to(directory / f"{name}.loop")

    return make


def _dangling(name: str) -> Callable[[Path], None]:
    def make(directory: Path) -> None:
        (directory / name).unlink()
        (directory / name).symlink_to(directory / "gone.yaml")

    return make


def _fifo(name: str) -> Callable[[Path], None]:
    def make(directory: Path) -> None:
        (directory / name).unlink()
        os.mkfifo(directory / name)

    return make


def _directory(name: str) -> Callable[[Path], None]:
    def make(directory: Path) -> None:
        (directory / name).unlink()
        (directory / name).mkdir()

    return make


NOT_UTF8 = CONFIG.encode().replace(b"name: demo", b"name: d\xe9mo")

CONFIG_CASES = [
    # parser attacks
    validate("alias-bomb-9x9", alias_bomb(), "{config}:6:5: refused: its aliases expand to more than 100,000 values"),
    validate("alias-bomb-wide", alias_bomb(4, 400), "{config}:2:5: refused: its aliases expand"),
    validate("recursive-alias", "name: demo\nx: &a [*a]\n", "{config}:2:8: invalid YAML: alias *a refers to"),
    validate("deep-flow-nesting", "name: demo\nx: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than 64 levels"),
    validate(
        "deep-block-nesting",
        "name: demo\nx:\n" + "".join("  " * depth + "- \n" for depth in range(100)),
        "{config}:",
    ),
    validate("duplicate-top-level-key", CONFIG + "queues: []\n", "{config}:14: duplicate key 'queues': also given at line 7"),
    validate("duplicate-name", CONFIG.replace("region: us-east-1", "name: other"), "{config}:2: duplicate key 'name'"),
    validate(
        "duplicate-nested-key",
        config_with("    max_vcpus: 16", "    max_vcpus: 16\n    max_vcpus: 32"),
        "{config}:7: duplicate key 'max_vcpus': also given at line 6",
    ),
    validate("unclosed-bracket", config_with("[cpu-spot]", "[cpu-spot"), "{config}:10:16: invalid YAML: expected ',' or ']'"),
    validate("tab-indentation", config_with("    type: SPOT", "\ttype: SPOT"), "{config}:5:1: invalid YAML"),
    # files
    validate("missing-file", None, "config file {config} not found"),
    validate("not-utf8", NOT_UTF8, "{config}:1:8: config file is not UTF-8 text (byte 0xe9)"),
    validate("symlink-loop", CONFIG, "config file {config} is a symbolic link loop", prepare=_symlink_loop("c.yaml")),
    validate("dangling-symlink", CONFIG, "is a symbolic link to", prepare=_dangling("c.yaml")),
    validate("fifo", CONFIG, "config file {config} is not a regular file", prepare=_fifo("c.yaml")),
    validate("too-large", "# " + "x" * (11 * 1024 * 1024) + "\n", "config file {config} is 11.0 MiB"),
    validate("empty-file", "", "{config}:1: expected a mapping of settings at the top level, found an empty document"),
    validate("top-level-list", "- name: demo\n", "{config}:1: expected a mapping of settings at the top level"),
    # schema
    validate("unknown-key", config_with("region: us-east-1", "regoin: us-east-1"), '{config}:2: regoin: unknown key (did you mean "region"?)'),
    validate("unknown-nested-key", config_with("    type: SPOT", "    typ: SPOT"), "{config}:5: compute_environments[0].typ: unknown key"),
    validate("missing-queues", CONFIG.split("queues:", maxsplit=1)[0], "{config}:1: queues: required key is missing"),
    validate("bad-name", config_with("name: demo", "name: Demo_1"), "{config}:1: name: invalid name 'Demo_1'"),
    validate("long-name", config_with("name: demo", "name: " + "d" * 30), "{config}:1: name: invalid name"),
    validate("max-vcpus-huge", config_with("max_vcpus: 16", "max_vcpus: " + "1" + "0" * 30), "{config}:6: compute_environments[0].max_vcpus: at most 2,147,483,647, the largest number AWS accepts here (a 32-bit integer) (got 1000000000000000000000000000000)"),
    validate("max-vcpus-text", config_with("max_vcpus: 16", "max_vcpus: lots"), "{config}:6: compute_environments[0].max_vcpus"),
    validate("max-vcpus-zero", config_with("max_vcpus: 16", "max_vcpus: 0"), "{config}:6: compute_environments[0].max_vcpus"),
    validate("memory-huge", config_with("memory: 512", "memory: 99999999999"), "{config}:13: job_definitions[0].memory"),
    validate("vcpus-infinite", config_with("memory: 512", "memory: 512\n    vcpus: .inf"), "{config}:14: job_definitions[0].vcpus"),
    validate("region-unknown", config_with("region: us-east-1", "region: mars-1"), "{config}:2: region: not an AWS region (regions look like us-east-1"),
    validate("region-typo", config_with("region: us-east-1", "region: eu-west1"), '{config}:2: region: not an AWS region (did you mean "eu-west-1"?'),
    validate("compute-type", config_with("type: SPOT", "type: SPOTTY"), "{config}:5: compute_environments[0].type"),
    validate("bid-percentage", config_with("type: SPOT", "type: SPOT\n    bid_percentage: 0"), "{config}:6: compute_environments[0].bid_percentage"),
    validate("root-volume", config_with("type: SPOT", "type: SPOT\n    root_volume_gb: 8"), "{config}:6: compute_environments[0].root_volume_gb"),
    validate("priority", config_with("  - name: cpu\n", "  - name: cpu\n    priority: 5000\n"), "{config}:9: queues[0].priority"),
    validate("runnable-timeout", config_with("  - name: cpu\n", "  - name: cpu\n    runnable_timeout_minutes: 1\n"), "{config}:9: queues[0].runnable_timeout_minutes"),
    validate("retries", config_with("memory: 512", "memory: 512\n    retries: 11"), "{config}:14: job_definitions[0].retries"),
    validate("timeout", config_with("memory: 512", "memory: 512\n    timeout: 5"), "{config}:14: job_definitions[0].timeout"),
    validate("image-spaces", config_with("image: helloworld", "image: hello world"), "{config}:12: job_definitions[0].image"),
    validate("env-name", config_with("memory: 512", "memory: 512\n    environment: {1BAD: x}"), "{config}:14: job_definitions[0].environment: '1BAD' is not a valid environment variable name"),
    validate("env-reserved", config_with("memory: 512", "memory: 512\n    environment: {AWS_BATCH_X: x}"), "{config}:14: job_definitions[0].environment: 'AWS_BATCH_X': names starting with AWS_BATCH are reserved"),
    validate("vpc-cidr", "network: {vpc_cidr: 10.0.0.0/33}\n" + CONFIG, "{config}:1: network.vpc_cidr"),
    validate("vpc-cidr-size", "network: {vpc_cidr: 10.0.0.0/8}\n" + CONFIG, "{config}:1: network.vpc_cidr: '10.0.0.0/8': a VPC CIDR must be from /16 to /24"),
    validate("zones", "network: {availability_zones: 9}\n" + CONFIG, "{config}:1: network.availability_zones"),
    validate("egress", "network: {egress: satellite}\n" + CONFIG, "{config}:1: network.egress"),
    validate("bucket-name", "storage: {read_only: [Bad_Bucket]}\n" + CONFIG, "{config}:1: storage.read_only: bucket 'Bad_Bucket'"),
]  # fmt: skip

POPEN = "{{ cycler.__init__.__globals__.os.popen('touch {dir}/pwned').read() }}"

JOB_CASES = [
    # templates: no code, no files, bounded work
    dry_run("popen-payload", jobs_with(f"    command: echo {POPEN}\n"), "{jobs}:9: template refused: access to attribute '__init__'", marker=True),
    dry_run("read-file-through-globals", jobs_with("    command: echo {{ lipsum.__globals__['os'].popen('cat /etc/hostname').read() }}\n"), "{jobs}:9: template refused: access to attribute '__globals__'"),
    dry_run("subclasses", jobs_with("    command: echo {{ ''.__class__.__mro__[1].__subclasses__() }}\n"), "{jobs}:9: template refused: access to attribute '__class__'"),
    dry_run("include", jobs_with("{% include '/etc/hostname' %}\n"), "{jobs}:9: template refused: {{% include %}}"),
    dry_run("import", "{% import 'macros.j2' as m %}\n" + JOBS, "{jobs}:1: template refused"),
    dry_run("extends", "{% extends 'base.yaml' %}\n" + JOBS, "{jobs}:1: template refused"),
    dry_run("mutation", jobs_with("{% set l = [] %}{{ l.append(1) }}\n"), "{jobs}:9: template refused: access to attribute 'append'"),
    dry_run("huge-range", jobs_with("{% for i in range(10**9) %}{% endfor %}\n"), "{jobs}:9: template refused: range() of 1,000,000,000 numbers"),
    dry_run("huge-repeat", jobs_with("    command: echo {{ 'a' * 10**9 }}\n"), "{jobs}:9: template refused: repeating 1 items 1,000,000,000 times"),
    dry_run("huge-power", jobs_with("    command: echo {{ 7 ** 100000 }}\n"), "{jobs}:9: template refused: 7 ** 100000 is a number of more than 4096 bits"),
    dry_run("huge-center", jobs_with("    command: echo {{ 'x' | center(10**9) }}\n"), "{jobs}:9: template refused: an argument of 1,000,000,000"),
    dry_run("huge-format-width", jobs_with("    command: echo {{ '%0999999999d' % 1 }}\n"), "{jobs}:9: template refused: a format width"),
    dry_run("huge-output", jobs_with("{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}\n"), "{jobs}: template refused: the rendered file is larger than 4 MiB"),
    dry_run("runaway-loops", jobs_with("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}\n"), "{jobs}:9: template refused: rendering took more than 5 s"),
    dry_run("macro-recursion", jobs_with("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}\n"), "{jobs}: template refused: a macro calls itself without end"),
    dry_run("undefined-variable", jobs_with("    command: echo {{ greting }}\n"), "{jobs}:9: undefined template variable 'greting'"),
    dry_run("template-syntax", jobs_with("    command: echo {{ oops\n"), "{jobs}:9: template error"),
    # YAML attacks in job files
    dry_run("job-alias-bomb", JOBS + alias_bomb(prefix=""), "{jobs}:14:5: refused: its aliases expand"),
    dry_run("job-duplicate-key", jobs_with("    queue: other\n"), "{jobs}:9: duplicate key 'queue': also given at line 7"),
    dry_run("job-deep-nesting", jobs_with("    command: " + "[" * 500 + "]" * 500 + "\n"), "{jobs}:9:"),
    # AWS limits, each naming the job and the field
    dry_run("payload-2mb-command", jobs_with("    command: echo " + "x" * 2_000_000 + "\n"), '{jobs}:9: job "second": command: the command is 2,000,005 characters; a SubmitJob request holds at most 30 KiB'),
    dry_run("payload-command-list", jobs_with("    command: [echo, " + "x" * 40_000 + "]\n"), '{jobs}:9: job "second": command: the SubmitJob request is 39.4 KiB (command: 39.1 KiB); AWS Batch accepts at most 30 KiB'),
    dry_run("payload-environment", jobs_with("    environment: {BIG: " + "v" * 40_000 + "}\n"), '{jobs}:9: job "second": environment: the SubmitJob request is'),
    dry_run("dependencies-21", "jobs:\n" + "".join(f"  - {{name: j{n}, queue: cpu, definition: helloworld}}\n" for n in range(21)) + "  - {name: last, queue: cpu, definition: helloworld, depends_on: [" + ", ".join(f"j{n}" for n in range(21)) + "]}\n", '{jobs}:23: job "last": depends_on'),
    dry_run("array-size-1", jobs_with("    array_size: 1\n"), '{jobs}:9: job "second": array_size'),
    dry_run("array-size-10001", jobs_with("    array_size: 10001\n"), '{jobs}:9: job "second": array_size'),
    dry_run("job-name-long", jobs_with(old="name: second", new="name: " + "s" * 125), "{jobs}:6: job \"" + "s" * 125 + "\": name: at most 119 characters"),
    dry_run("job-name-characters", jobs_with(old="name: second", new="name: 'sec ond'"), "{jobs}:6: job \"sec ond\": name: use letters, digits"),
    dry_run("tags-53", "tags: {" + ", ".join(f"t{n}: v" for n in range(50)) + "}\n" + JOBS, '{jobs}:3: job "first": tags: 53 tags'),
    dry_run("tag-value-long", jobs_with("    tags: {owner: " + "v" * 300 + "}\n"), '{jobs}:9: job "second": tags: tag \'owner\' has a value of 300 characters'),
    dry_run("tag-reserved", jobs_with("    tags: {'aws:owner': me}\n"), '{jobs}:9: job "second": tags: tag \'aws:owner\': the prefix'),
    dry_run("env-reserved", jobs_with("    environment: {AWS_BATCH_JOB_ID: x}\n"), '{jobs}:9: job "second": environment: \'AWS_BATCH_JOB_ID\''),
    dry_run("env-name", jobs_with("    environment: {'A-B': x}\n"), '{jobs}:9: job "second": environment: \'A-B\' is not a valid'),
    dry_run("memory-huge", jobs_with("    memory: 99999999999\n"), '{jobs}:9: job "second": memory'),
    dry_run("vcpus-infinite", jobs_with("    vcpus: .inf\n"), '{jobs}:9: job "second": vcpus'),
    dry_run("timeout-short", jobs_with("    timeout: 5\n"), '{jobs}:9: job "second": timeout'),
    # the whole file, before any SubmitJob
    dry_run("unknown-queue", jobs_with(old="    queue: cpu\n    definition: helloworld\n", new="    queue: cpux\n    definition: helloworld\n"), '{jobs}:3: job "first": queue: unknown queue \'cpux\' (did you mean "cpu"?)'),
    dry_run("unknown-definition", jobs_with(old="definition: helloworld\n", new="definition: hello\n"), '{jobs}:4: job "first": definition: unknown job definition \'hello\''),
    dry_run("unknown-field", jobs_with("    memroy: 1024\n"), '{jobs}:9: job "second": memroy: unknown key (did you mean "memory"?)'),
    dry_run("duplicate-job-name", jobs_with(old="name: second", new="name: first"), '{jobs}:6: job "first"'),
    dry_run("unknown-dependency", jobs_with("    depends_on: [thrid]\n"), '{jobs}:9: job "second": depends_on[0]'),
    dry_run("dependency-cycle", jobs_with("    depends_on: [first]\n", old="    command: echo hi\n", new="    command: echo hi\n    depends_on: [second]\n"), "{jobs}: "),
    dry_run("too-many-vcpus-for-queue", jobs_with("    vcpus: 64\n"), '{jobs}:9: job "second": vcpus: no compute environment of queue cpu can ever run this job (demo-cpu-spot: at most 16 vCPUs (max_vcpus), 64 asked)'),
    dry_run("gpus-on-cpu-queue", jobs_with("    gpus: 1\n"), '{jobs}:9: job "second": gpus: no compute environment of queue cpu can ever run this job'),
    dry_run("share-without-fair-share", jobs_with("    share: teamA\n"), '{jobs}:9: job "second": share: queue \'cpu\' has no fair-share policy'),
    # the Terraform project's job files (a list of jobs, its keys, full AWS names)
    dry_run("seed-queue-not-the-clusters", "- name: a\n  queue: demo-cpu-p3\n  definition: demo-helloworld\n", '{jobs}:2: job "a": queue: unknown queue \'demo-cpu-p3\' (did you mean "demo-cpu"?); the queues of cluster demo: cpu (demo-cpu)'),
    dry_run("seed-envvars-and-environment", "- name: a\n  queue: cpu\n  definition: helloworld\n  envvars: {A: x}\n  environment: {B: y}\n", '{jobs}:4: job "a": envvars: environment is given too'),
    dry_run("seed-unknown-resource", "- name: a\n  queue: cpu\n  definition: helloworld\n  resources: {CPU: 2}\n", '{jobs}:4: job "a": resources: unknown resource \'CPU\''),
    dry_run("seed-env-reserved", "- name: a\n  queue: cpu\n  definition: helloworld\n  envvars: {AWS_BATCH_JOB_ID: x}\n", '{jobs}:4: job "a": environment: \'AWS_BATCH_JOB_ID\''),
    dry_run("seed-unknown-job-id", "- name: a\n  queue: cpu\n  definition: helloworld\n  depends_on: [{jobId: b}]\n", '{jobs}:4: job "a": depends_on[0]: no job named \'b\''),
    dry_run("list-of-scalars", "- a\n", "{jobs}:1: jobs[0]: Input should be a valid dictionary"),
    dry_run("empty-jobs", "jobs: []\n", "{jobs}:1: jobs"),
    dry_run("no-jobs-key", "tags: {a: b}\n", "{jobs}:1: jobs: required key is missing"),
    # files
    dry_run("job-file-missing", None, "job file {jobs} not found"),
    dry_run("job-file-not-utf8", JOBS.encode().replace(b"first", b"f\xffrst"), "{jobs}:2:12: job file is not UTF-8 text (byte 0xff)"),
    dry_run("job-file-symlink-loop", JOBS, "job file {jobs} is a symbolic link loop", prepare=_symlink_loop("jobs.yaml")),
    dry_run("job-file-fifo", JOBS, "job file {jobs} is not a regular file", prepare=_fifo("jobs.yaml")),
    Case("bad-variable", ["-f", "{config}", "submit", "--dry-run", "{jobs}", "novalue"], "expected key=value, got 'novalue'", jobs=JOBS),
]  # fmt: skip

CLI_CASES = [
    usage("since-banana", ["-f", "{config}", "jobs", "--since", "banana"], "Invalid value for '--since': cannot read --since 'banana'"),
    usage("status-bogus", ["-f", "{config}", "jobs", "--status", "BOGUS"], "Invalid value for '-s' / '--status': unknown job status BOGUS"),
    usage("status-and-all", ["-f", "{config}", "jobs", "--status", "RUNNING", "--all"], "give --status or --all, not both"),
    usage("user-and-all-users", ["-f", "{config}", "jobs", "--user", "a", "--all-users"], "give --user or --all-users, not both"),
    usage("region-option", ["-f", "{config}", "--region", "mars-1", "status"], "Invalid value for '--region': 'mars-1' is not an AWS region"),
    usage("region-option-typo", ["--local", "--region", "us-est-1", "status"], '\'us-est-1\' is not an AWS region (did you mean "us-'),
    usage("port-too-large", ["local", "up", "--port", "99999"], "Invalid value for '--port': 99999 is not in the range 1<=x<=65535"),
    usage("port-zero", ["local", "up", "--port", "0"], "Invalid value for '--port': 0 is not in the range"),
    usage("port-text", ["local", "up", "--port", "abc"], "Invalid value for '--port': 'abc' is not a valid integer"),
    usage("config-is-directory", ["-f", "{dir}/cfg", "validate"], "Invalid value for '-f' / '--config': File '{dir}/cfg' is a directory", prepare=lambda d: (d / "cfg").mkdir()),
    usage("job-file-is-directory", ["-f", "{config}", "submit", "--dry-run", "{dir}/jobs.d"], "Invalid value for 'JOB_FILE': File '{dir}/jobs.d' is a directory", prepare=lambda d: (d / "jobs.d").mkdir()),
    usage("unknown-option", ["deploy", "--no-such-flag"], "No such option '--no-such-flag'"),
    usage("unknown-command", ["deplyo"], "No such command 'deplyo'"),
    usage("output-format", ["-o", "xml", "status"], "Invalid value for '-o' / '--output': 'xml' is not one of"),
    usage("log-index", ["logs", "job-1", "--index", "-1"], "Invalid value for '-i' / '--index': -1 is not in the range x>=0"),
    usage("resubmit-dry-run-and-wait", ["-f", "{config}", "resubmit", "job-1", "--dry-run", "--wait"], "give --dry-run or --wait, not both"),
    usage("init-bad-name", ["init", "-f", "{dir}/new.yaml", "--name", "Bad_Name"], "--name"),
    Case("aws-region-variable", ["-f", "{config}", "--local", "status"], "AWS_REGION=mars-1: not an AWS region", env={"AWS_REGION": "mars-1"}),
    Case("port-variable", ["local", "up"], "BATCHCTL_LOCAL_PORT='abc' is not a port number", env={"BATCHCTL_LOCAL_PORT": "abc"}),
    Case("local-without-emulator", ["-f", "{config}", "--local", "status"], "--local was given but the local emulator is not running"),
    Case("interrupt-without-local", ["local", "interrupt", "job-1"], "`local interrupt` acts on the local emulator only"),
    Case("local-status-not-running", ["local", "status"], "emulator not running"),
]  # fmt: skip

ALL_CASES = [("config", case) for case in CONFIG_CASES] + [("job file", case) for case in JOB_CASES]
ALL_CASES += [("cli", case) for case in CLI_CASES]


def _tree(directory: Path) -> dict[str, float]:
    return {str(path.relative_to(directory)): path.lstat().st_mtime for path in directory.rglob("*")}


def _write(path: Path, content: str | bytes | None) -> None:
    if content is None:
        return
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize(("group", "case"), ALL_CASES, ids=[f"{group}:{case.id}" for group, case in ALL_CASES])
def test_bad_input(group: str, case: Case, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv(process.HOME_ENV, str(home))
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", process.PORT_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    paths = {"config": tmp_path / "c.yaml", "jobs": tmp_path / "jobs.yaml", "dir": tmp_path}
    _write(paths["config"], case.config)
    _write(paths["jobs"], case.jobs)
    if case.prepare:
        case.prepare(tmp_path)
    names = {key: str(value) for key, value in paths.items()}
    before = _tree(tmp_path)

    started = time.monotonic()
    code, _, err = run_cli([arg.format(**names) for arg in case.args], capsys)
    elapsed = time.monotonic() - started

    output = err
    lines = output.splitlines()
    assert code == case.code, output
    expected = case.first.format(**names)
    if case.code == 2:
        first = next(line for line in lines if line.startswith("Error:"))
    else:
        first = lines[0]
        assert first.startswith("Error:") or case.id == "local-status-not-running", output  # a status line
    assert expected in first, output
    assert "Traceback" not in err and "Error: unexpected" not in err
    assert _tree(tmp_path) == before, "the command created or changed files"
    assert not home.exists() or process.status() is None
    if case.marker:
        assert not (tmp_path / "pwned").exists(), "the template ran a shell command"
    assert elapsed < 20, f"took {elapsed:.1f} s"  # loose: the slowest case stops at the 5 s render limit


def test_the_catalogue_has_at_least_80_cases() -> None:
    assert len(ALL_CASES) >= 80
    assert len({(group, case.id) for group, case in ALL_CASES}) == len(ALL_CASES)


_PEAK_RSS = """
import sys, time
from batchctl.config.loader import parse_yaml
from batchctl.errors import ConfigError
text = open(sys.argv[1]).read()
started = time.monotonic()
try:
    parse_yaml(text, "f.yaml")
except ConfigError as exc:
    print(exc.message)
print(f"SECONDS {time.monotonic() - started:.3f}")
# VmHWM is this program's own peak (ru_maxrss would carry the forking pytest's over exec).
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print("PEAK_KIB", peak)
"""


@pytest.mark.parametrize(
    "text",
    [alias_bomb(9, 9), alias_bomb(4, 400), "x: " + "[" * 50_000 + "]" * 50_000 + "\n"],
    ids=["alias-bomb-9x9", "alias-bomb-wide", "deep-nesting-50k"],
)
def test_parser_attacks_are_refused_fast_and_small(text: str, tmp_path: Path) -> None:
    """Loose bounds (seconds, hundreds of MB): the exact figures are the benchmark's."""
    path = tmp_path / "attack.yaml"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    figures = dict(line.split(" ", 1) for line in result.stdout.splitlines() if line.startswith(("SECONDS", "PEAK")))
    assert "refused" in result.stdout
    assert float(figures["SECONDS"]) < 2
    assert int(figures["PEAK_KIB"]) < 300 * 1024
