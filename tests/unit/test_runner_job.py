"""Job identity and the output prefix: plain job, array child, index map, override."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchctl.runner import contract, settings
from batchctl.runner.contract import parse_index_map
from batchctl.runner.errors import UsageError
from batchctl.runner.job import command_environment, identify_job, output_location
from batchctl.runner.s3url import S3Url


def location(environ: dict[str, str]) -> str | None:
    result = output_location(identify_job(environ), environ)
    return None if result is None else str(result)


BASE = {"BATCHCTL_OUTPUTS_BUCKET": "out", "BATCHCTL_JOB_NAME": "hello", "AWS_BATCH_JOB_ID": "abc-123"}


def test_plain_job() -> None:
    assert location(BASE) == "s3://out/hello/abc-123/"


def test_array_child_uses_parent_id_and_index() -> None:
    environ = {**BASE, "AWS_BATCH_JOB_ID": "abc-123:2", "AWS_BATCH_JOB_ARRAY_INDEX": "2"}
    identity = identify_job(environ)
    assert (identity.job_id, identity.array_index) == ("abc-123", 2)
    assert location(environ) == "s3://out/hello/abc-123/2/"


def test_array_index_falls_back_to_the_job_id_suffix() -> None:
    # The local emulator gives children "<parent>:<index>" ids but no AWS_BATCH_JOB_ARRAY_INDEX.
    assert location({**BASE, "AWS_BATCH_JOB_ID": "abc-123:1"}) == "s3://out/hello/abc-123/1/"


def test_index_map_maps_child_to_original_index() -> None:
    environ = {**BASE, "AWS_BATCH_JOB_ID": "new-9:1", "AWS_BATCH_JOB_ARRAY_INDEX": "1", "BATCHCTL_INDEX_MAP": "1, 3"}
    assert identify_job(environ).array_index == 3
    assert location(environ) == "s3://out/hello/new-9/3/"


def test_index_map_of_one_index_on_a_plain_job() -> None:
    assert location({**BASE, "BATCHCTL_INDEX_MAP": "4"}) == "s3://out/hello/abc-123/4/"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"BATCHCTL_INDEX_MAP": "1,3"}, "not an array child"),
        ({"BATCHCTL_INDEX_MAP": "1,3", "AWS_BATCH_JOB_ARRAY_INDEX": "2"}, "outside BATCHCTL_INDEX_MAP"),
        ({"BATCHCTL_INDEX_MAP": "1,x"}, "comma-separated"),
        ({"AWS_BATCH_JOB_ARRAY_INDEX": "-1"}, "not a non-negative integer"),
    ],
)
def test_bad_index_settings_are_usage_errors(extra: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        identify_job({**BASE, **extra})


def test_override_replaces_bucket_name_and_id() -> None:
    environ = {**BASE, "BATCHCTL_OUTPUT_PREFIX": "s3://other/runs/7"}
    assert location(environ) == "s3://other/runs/7/"


def test_override_still_gets_the_array_index() -> None:
    environ = {**BASE, "BATCHCTL_OUTPUT_PREFIX": "s3://other/runs/7/", "AWS_BATCH_JOB_ARRAY_INDEX": "0"}
    assert location(environ) == "s3://other/runs/7/0/"


def test_bad_override_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not an s3:// URL"):
        location({**BASE, "BATCHCTL_OUTPUT_PREFIX": "other/runs"})


def test_no_bucket_means_no_upload() -> None:
    assert location({"AWS_BATCH_JOB_ID": "abc"}) is None


def test_defaults_without_name_and_id() -> None:
    identity = identify_job({})
    assert identity.name == contract.DEFAULT_JOB_NAME
    assert identity.job_id.startswith("no-job-id-")
    assert identity.array_index is None and identity.attempt is None


def test_attempt_and_bucket_url_form() -> None:
    environ = {**BASE, "AWS_BATCH_JOB_ATTEMPT": "2", "BATCHCTL_OUTPUTS_BUCKET": "s3://out/"}
    assert identify_job(environ).attempt == 2
    assert location(environ) == "s3://out/hello/abc-123/"


def test_parse_index_map() -> None:
    assert parse_index_map("") == []
    assert parse_index_map("0,2,5") == [0, 2, 5]
    assert parse_index_map(" 1, 3 ,") == [1, 3]
    with pytest.raises(contract.IndexMapError, match="comma-separated array indices"):
        parse_index_map("1,x")


def test_command_environment_exposes_index_dirs_and_output_url(tmp_path: Path) -> None:
    environ = {**BASE, "AWS_BATCH_JOB_ARRAY_INDEX": "1", "BATCHCTL_INDEX_MAP": "5,6"}
    identity = identify_job(environ)
    workspace = settings.Workspace(tmp_path)
    env = command_environment(environ, identity, workspace, S3Url("out", "hello/abc-123/6/"))
    assert env["BATCHCTL_ARRAY_INDEX"] == "6"
    assert env["BATCHCTL_INPUTS_DIR"] == str(tmp_path / "inputs")
    assert env["BATCHCTL_OUTPUTS_DIR"] == str(tmp_path / "outputs")
    assert env["BATCHCTL_OUTPUT_URL"] == "s3://out/hello/abc-123/6/"
    assert env["BATCHCTL_JOB_NAME"] == "hello"


def test_plain_job_gets_no_array_index(tmp_path: Path) -> None:
    identity = identify_job(BASE)
    env = command_environment(BASE, identity, settings.Workspace(tmp_path), None)
    assert "BATCHCTL_ARRAY_INDEX" not in env
    assert "BATCHCTL_OUTPUT_URL" not in env
