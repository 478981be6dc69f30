"""Input staging and output upload in-process (moto's mock_aws): layout, edge cases, failure handling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from batchctl.runner.errors import RunnerError, UsageError
from batchctl.runner.s3url import S3Url
from batchctl.runner.staging import input_specs, stage_inputs
from batchctl.runner.uploads import upload_outputs, upload_usage_report


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="bkt")
        yield client


def stage(s3: Any, tmp_path: Path, **inputs: str) -> list[str]:
    environ = {f"BATCHCTL_INPUT_{name}": url for name, url in inputs.items()}
    stage_inputs(s3, input_specs(environ, tmp_path))
    return sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file())


def test_object_lands_under_the_lower_cased_name(s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket="bkt", Key="deep/dir/model.bin", Body=b"x")
    assert stage(s3, tmp_path, MODEL_V2="s3://bkt/deep/dir/model.bin") == ["model_v2/model.bin"]


def test_whole_bucket_is_a_prefix(s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket="bkt", Key="a.txt", Body=b"a")
    s3.put_object(Bucket="bkt", Key="d/b.txt", Body=b"b")
    assert stage(s3, tmp_path, ALL="s3://bkt") == ["all/a.txt", "all/d/b.txt"]


def test_key_escaping_the_input_directory_is_refused(s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket="bkt", Key="p/../../escape.txt", Body=b"x")
    with pytest.raises(RunnerError, match="would leave the input directory"):
        stage(s3, tmp_path / "inputs", EVIL="s3://bkt/p/")
    assert not (tmp_path / "escape.txt").exists()


def test_empty_prefix_is_an_error(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match=r"input empty: nothing found at s3://bkt/nothing/"):
        stage(s3, tmp_path, EMPTY="s3://bkt/nothing/")


def test_missing_bucket_is_a_clear_error(s3: Any, tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match=r"input x: could not download s3://missing/k/: .*NoSuchBucket"):
        stage(s3, tmp_path, X="s3://missing/k/")


@pytest.mark.parametrize("url", ["b/key", "s3:///key", "https://b/key"])
def test_input_url_must_be_s3(url: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="BATCHCTL_INPUT_X"):
        input_specs({"BATCHCTL_INPUT_X": url}, tmp_path)


def test_outputs_keep_their_relative_paths(s3: Any, tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "top.txt").write_text("top")
    (tmp_path / "sub" / "deeper" / "leaf.txt").write_text("leaf")
    result = upload_outputs(s3, tmp_path, S3Url("bkt", "job/1/"))
    assert (result.files, result.size) == (2, 7)
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket="bkt")["Contents"])
    assert keys == ["job/1/sub/deeper/leaf.txt", "job/1/top.txt"]


def test_missing_outputs_directory_uploads_nothing(s3: Any, tmp_path: Path) -> None:
    assert upload_outputs(s3, tmp_path / "absent", S3Url("bkt", "job/1/")).files == 0


class _FailingOnce:
    """Fails the upload of one named file; records the rest."""

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.uploaded: list[str] = []

    def upload_file(self, filename: str, bucket: str, key: str) -> None:
        if key.endswith(self.failing):
            raise OSError("disk went away")
        self.uploaded.append(key)


def test_one_failed_upload_does_not_stop_the_others(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(name)
    client = _FailingOnce("b.txt")
    with pytest.raises(RunnerError, match=r"1 output file\(s\) were not uploaded .*b.txt: OSError: disk went away"):
        upload_outputs(client, tmp_path, S3Url("bkt", "p/"))
    assert client.uploaded == ["p/a.txt", "p/c.txt"]


def test_usage_report_is_json_under_batchctl(s3: Any) -> None:
    target = upload_usage_report(s3, S3Url("bkt", "job/1/"), {"exit_code": 0})
    assert str(target) == "s3://bkt/job/1/_batchctl/usage.json"
    body = s3.get_object(Bucket="bkt", Key="job/1/_batchctl/usage.json")["Body"].read()
    assert body == b'{\n  "exit_code": 0\n}\n'
