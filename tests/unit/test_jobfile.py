"""Job files: templating, validation with located errors, dependency checks and submission order."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from batchctl.errors import ConfigError
from batchctl.jobs.jobfile import load_job_file, parse_job_file
from batchctl.jobs.models import MAX_JOB_NAME_LENGTH
from batchctl.jobs.template import builtin_variables, parse_assignments

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "helloworld" / "jobs.yaml"
VARIABLES = builtin_variables("alice", "demo", datetime(2026, 1, 2, 15, 4, 5, tzinfo=UTC))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "jobs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, **variables: str) -> object:
    return load_job_file(write(tmp_path, text), {**VARIABLES, **variables})


def error(tmp_path: Path, text: str, **variables: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, **variables)
    return caught.value


JOB = "  - name: {name}\n    queue: cpu\n    definition: helloworld\n"


def test_builtin_variables() -> None:
    assert VARIABLES == {
        "timestamp": "20260102-150405",
        "user": "alice",
        "username": "alice",
        "cluster": "demo",
        "project": "demo",
    }


def test_the_example_file_loads_in_dependency_order() -> None:
    if not EXAMPLE.exists():
        pytest.skip("examples/helloworld/jobs.yaml is not there yet")
    job_file = load_job_file(EXAMPLE, {**VARIABLES, "greeting": "hi"})
    names = [job.name for job in job_file.ordered()]
    assert names[0] == "hello-20260102-150405"
    for job in job_file.jobs:
        for dependency in job.depends_on:
            if dependency.name:
                assert names.index(dependency.name) < names.index(job.name)


def test_variables_fill_the_template_and_command_line_values_win(tmp_path: Path) -> None:
    job_file = load_job_file(
        write(
            tmp_path, "jobs:\n" + JOB.format(name="j-{{ timestamp }}") + "    command: echo {{ greeting }} {{ user }}\n"
        ),
        {**VARIABLES, "greeting": "hi", "user": "bob"},
    )
    job = job_file.jobs[0]  # type: ignore[attr-defined]
    assert job.name == "j-20260102-150405"
    assert job.command == ["echo", "hi", "bob"]


def test_scalars_become_text_and_command_strings_are_split_like_a_shell(tmp_path: Path) -> None:
    text = (
        "jobs:\n" + JOB.format(name="a") + "    command: python3 -c 'print(1)'\n"
        "    environment: {COUNT: 3, RATIO: 1.5, DEBUG: true}\n    tags: {build: 7}\n"
    )
    job = load(tmp_path, text).jobs[0]  # type: ignore[attr-defined]
    assert job.command == ["python3", "-c", "print(1)"]
    assert job.environment == {"COUNT": "3", "RATIO": "1.5", "DEBUG": "true"}
    assert job.tags == {"build": "7"}


def test_inputs_as_a_list_are_named_after_their_files(tmp_path: Path) -> None:
    text = "jobs:\n" + JOB.format(name="a") + "    inputs: [greeting.txt, s3://bucket/data/sample-1.csv]\n"
    job = load(tmp_path, text).jobs[0]  # type: ignore[attr-defined]
    assert job.inputs == {"greeting": "greeting.txt", "sample_1": "s3://bucket/data/sample-1.csv"}


def test_unknown_field_names_the_file_line_job_and_a_fix(tmp_path: Path) -> None:
    exc = error(tmp_path, "jobs:\n" + JOB.format(name="hello") + "    memroy: 512\n")
    assert exc.message == f'{tmp_path / "jobs.yaml"}:5: job "hello": memroy: unknown key (did you mean "memory"?)'


def test_undefined_template_variable_is_named_with_its_line(tmp_path: Path) -> None:
    exc = error(tmp_path, "jobs:\n" + JOB.format(name="hello") + "    command: echo {{ greting }}\n", greeting="hi")
    assert (
        exc.message == f"{tmp_path / 'jobs.yaml'}:5: undefined template variable 'greting' (did you mean \"greeting\"?)"
    )
    assert exc.hint is not None and "greting=VALUE" in exc.hint


def test_default_filter_makes_a_variable_optional(tmp_path: Path) -> None:
    text = "jobs:\n" + JOB.format(name="a") + "    command: echo {{ greeting | default('hello') }}\n"
    assert load(tmp_path, text).jobs[0].command == ["echo", "hello"]  # type: ignore[attr-defined]


def test_dependency_on_a_name_not_in_the_file(tmp_path: Path) -> None:
    text = "jobs:\n" + JOB.format(name="prepare") + JOB.format(name="train") + "    depends_on: [prepar]\n"
    exc = error(tmp_path, text)
    assert exc.message == (
        f'{tmp_path / "jobs.yaml"}:8: job "train": depends_on[0]: '
        "no job named 'prepar' in this file (did you mean \"prepare\"?)"
    )
    assert exc.hint == "jobs in this file: prepare"


def test_dependency_cycle(tmp_path: Path) -> None:
    text = (
        "jobs:\n"
        + JOB.format(name="a")
        + "    depends_on: [c]\n"
        + JOB.format(name="b")
        + "    depends_on: [a]\n"
        + JOB.format(name="c")
        + "    depends_on: [b]\n"
    )
    exc = error(tmp_path, text)
    assert exc.message == f"{tmp_path / 'jobs.yaml'}: dependency cycle: a -> c -> b -> a"


def test_submission_order_puts_dependencies_first_and_keeps_file_order(tmp_path: Path) -> None:
    text = (
        "jobs:\n"
        + JOB.format(name="report")
        + "    depends_on: [train]\n"
        + JOB.format(name="prepare")
        + JOB.format(name="train")
        + "    depends_on: [prepare]\n"
        + JOB.format(name="other")
    )
    job_file = load(tmp_path, text)
    assert [job.name for job in job_file.ordered()] == ["prepare", "train", "report", "other"]  # type: ignore[attr-defined]


def test_duplicate_names(tmp_path: Path) -> None:
    exc = error(tmp_path, "jobs:\n" + JOB.format(name="a") + JOB.format(name="a"))
    path = tmp_path / "jobs.yaml"
    assert exc.message == f'{path}:5: job "a": name: another job is named \'a\' ({path}:2: job "a")'


def test_sequential_needs_an_array_and_takes_no_name(tmp_path: Path) -> None:
    exc = error(tmp_path, "jobs:\n" + JOB.format(name="a") + "    depends_on: [{type: SEQUENTIAL}]\n")
    assert exc.message.endswith('job "a": depends_on[0]: SEQUENTIAL needs an array job')
    text = "jobs:\n" + JOB.format(name="a") + JOB.format(name="b") + "    array_size: 3\n"
    exc = error(tmp_path, text + "    depends_on: [{name: a, type: SEQUENTIAL}]\n")
    assert "SEQUENTIAL takes no name" in exc.message


def test_n_to_n_needs_arrays_of_the_same_size(tmp_path: Path) -> None:
    text = (
        "jobs:\n"
        + JOB.format(name="a")
        + "    array_size: 2\n"
        + JOB.format(name="b")
        + "    array_size: 3\n    depends_on: [{name: a, type: N_TO_N}]\n"
    )
    exc = error(tmp_path, text)
    assert exc.message.endswith(
        'job "b": depends_on[0]: N_TO_N needs two arrays of the same size (b: array of 3, a: array of 2)'
    )


def test_field_rules(tmp_path: Path) -> None:
    assert (
        "greater than or equal to 2"
        in error(tmp_path, "jobs:\n" + JOB.format(name="a") + "    array_size: 1\n").message
    )
    assert "use letters, digits" in error(tmp_path, "jobs:\n" + JOB.format(name="a.b")).message
    long_name = "x" * (MAX_JOB_NAME_LENGTH + 1)
    assert (
        f"at most {MAX_JOB_NAME_LENGTH} characters" in error(tmp_path, "jobs:\n" + JOB.format(name=long_name)).message
    )
    reserved = error(tmp_path, "jobs:\n" + JOB.format(name="a") + "    environment: {BATCHCTL_JOB_NAME: x}\n")
    assert "is set by batchctl" in reserved.message
    missing = error(tmp_path, "jobs:\n  - name: a\n    queue: cpu\n")
    assert missing.message == f'{tmp_path / "jobs.yaml"}:2: job "a": definition: required key is missing'


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    exc = error(tmp_path, "jobs:\n" + JOB.format(name="a") + "    memroy: 1\n" + JOB.format(name="b") + "    vcpu: 2\n")
    assert exc.message == f"{tmp_path / 'jobs.yaml'}: 2 problems"
    assert exc.details == [
        f'{tmp_path / "jobs.yaml"}:5: job "a": memroy: unknown key (did you mean "memory"?)',
        f'{tmp_path / "jobs.yaml"}:9: job "b": vcpu: unknown key (did you mean "vcpus"?)',
    ]


def test_template_syntax_error(tmp_path: Path) -> None:
    exc = error(tmp_path, "jobs:\n" + JOB.format(name="{{ timestamp }") + "")
    assert exc.message.startswith(f"{tmp_path / 'jobs.yaml'}:2: template error:")


def test_lines_refer_to_the_rendered_text_when_templating_moves_them(tmp_path: Path) -> None:
    text = "jobs:\n{%- if true %}\n" + JOB.format(name="a") + "    memroy: 1\n{%- endif %}\n"
    exc = error(tmp_path, text)
    assert exc.message.startswith(f"{tmp_path / 'jobs.yaml'} (rendered):")


def test_missing_file_and_empty_document(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"job file .* not found"):
        load_job_file(tmp_path / "nope.yaml", VARIABLES)
    with pytest.raises(ConfigError, match="expected a mapping"):
        parse_job_file("", "jobs.yaml")


def test_assignments() -> None:
    assert parse_assignments(["greeting=hi there", "n=3", "empty="]) == {"greeting": "hi there", "n": "3", "empty": ""}
    with pytest.raises(ConfigError, match="expected key=value, got 'oops'"):
        parse_assignments(["oops"])
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_assignments(["1x=2"])
