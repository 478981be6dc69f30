"""Image build and push over a fake Docker SDK client (the real engine is exercised end to end)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from batchctl.images.build import build_image, default_tag, image_reference
from batchctl.images.engine import ImageError
from batchctl.images.push import local_references, push_images

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo"


class FakeApi:
    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.chunks = chunks
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def build(self, **kwargs: Any) -> Any:
        self.calls.append(("build", kwargs))
        return iter(self.chunks)

    def push(self, repository: str, **kwargs: Any) -> Any:
        self.calls.append(("push", {"repository": repository, **kwargs}))
        return iter(self.chunks)

    tag_error: Exception | None = None

    def tag(self, image: str, repository: str, tag: str) -> bool:
        self.calls.append(("tag", {"image": image, "repository": repository, "tag": tag}))
        if self.tag_error is not None:
            raise self.tag_error
        return True

    def remove_image(self, image: str, noprune: bool) -> None:
        self.calls.append(("remove_image", {"image": image, "noprune": noprune}))


class FakeImage:
    def __init__(self, tags: list[str]) -> None:
        self.tags = tags


class FakeImages:
    def list(self, name: str) -> list[FakeImage]:
        return [FakeImage([f"{URI}:hello", f"{URI}:train", "other:latest"])]


class FakeClient:
    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.api = FakeApi(chunks)
        self.images = FakeImages()


class FakeEcr:
    def login(self) -> tuple[str, str, str]:
        return "AWS", "secret", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"


@pytest.fixture
def context(tmp_path: Path) -> Path:
    directory = tmp_path / "helloworld"
    directory.mkdir()
    (directory / "Dockerfile").write_text("FROM batchctl/base:latest\n")
    return directory


def test_build_uses_host_networking_and_the_repository_tag(context: Path) -> None:
    client = FakeClient([{"stream": "Step 1/2 : FROM batchctl/base:latest\n"}, {"aux": {"ID": "sha256:abc"}}])
    lines: list[str] = []
    image = build_image(client, context, image_reference(URI, default_tag(context)), lines.append)
    assert image.reference == f"{URI}:helloworld" and image.image_id == "sha256:abc"
    ((name, kwargs),) = client.api.calls
    assert name == "build"
    assert kwargs["network_mode"] == "host"
    assert kwargs["tag"] == f"{URI}:helloworld"
    assert kwargs["path"] == str(context)
    assert lines == ["Step 1/2 : FROM batchctl/base:latest"]


def test_a_failing_build_is_one_error(context: Path) -> None:
    client = FakeClient([{"stream": "Step 1/2\n"}, {"error": "The command '/bin/sh -c false' returned 1"}])
    with pytest.raises(ImageError) as caught:
        build_image(client, context, f"{URI}:x")
    assert caught.value.message == f"building {URI}:x failed: The command '/bin/sh -c false' returned 1"


def test_no_dockerfile(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no Dockerfile in"):
        build_image(FakeClient([]), tmp_path, f"{URI}:x")


def test_tags_are_checked() -> None:
    with pytest.raises(ImageError, match="'bad tag' is not a valid image tag"):
        image_reference(URI, "bad tag")
    assert default_tag(Path("/work/My Job")) == "My-Job"


def test_push_logs_in_with_the_ecr_token() -> None:
    client = FakeClient([{"status": "The push refers to repository"}, {"id": "abc", "status": "Pushed"}])
    lines: list[str] = []
    assert push_images(client, FakeEcr(), [f"{URI}:hello"], lines.append) == [f"{URI}:hello"]  # type: ignore[arg-type]
    ((name, kwargs),) = client.api.calls
    assert (name, kwargs["repository"], kwargs["tag"]) == ("push", URI, "hello")
    assert kwargs["auth_config"]["username"] == "AWS" and kwargs["auth_config"]["password"] == "secret"
    assert lines == ["The push refers to repository", "abc Pushed"]


def test_push_failure_and_nothing_to_push() -> None:
    client = FakeClient([{"errorDetail": {"message": "denied: not authorized"}}])
    with pytest.raises(ImageError, match=r"pushing .*:hello failed: denied: not authorized"):
        push_images(client, FakeEcr(), [f"{URI}:hello"])  # type: ignore[arg-type]
    with pytest.raises(ImageError, match="no image to push"):
        push_images(client, FakeEcr(), [])  # type: ignore[arg-type]


def test_local_references_are_the_repository_tags() -> None:
    assert local_references(FakeClient([]), URI) == [f"{URI}:hello", f"{URI}:train"]


class EmulatorEcr:
    """The emulator's GetAuthorizationToken names the registry beside it."""

    def login(self) -> tuple[str, str, str]:
        return "AWS", "123456789012-auth-token", "http://127.0.0.1:5000"


def test_push_to_the_emulator_tags_the_image_for_its_registry_and_removes_the_alias() -> None:
    client = FakeClient([{"id": "abc", "status": "Pushed"}])
    assert push_images(client, EmulatorEcr(), [f"{URI}:hello"]) == [f"{URI}:hello"]  # type: ignore[arg-type]
    names = [name for name, _ in client.api.calls]
    assert names == ["tag", "push", "remove_image"]
    tag, push, remove = (kwargs for _, kwargs in client.api.calls)
    assert (tag["image"], tag["repository"], tag["tag"]) == (f"{URI}:hello", "127.0.0.1:5000/demo", "hello")
    assert (push["repository"], push["tag"]) == ("127.0.0.1:5000/demo", "hello")
    assert push["auth_config"]["serveraddress"] == "http://127.0.0.1:5000"
    assert (remove["image"], remove["noprune"]) == ("127.0.0.1:5000/demo:hello", True)


def test_push_of_an_image_that_was_not_built_says_so() -> None:
    client = FakeClient([])
    client.api.tag_error = RuntimeError("No such image: " + URI + ":nope")
    with pytest.raises(ImageError, match=r"cannot tag .*:nope for the registry: No such image") as caught:
        push_images(client, EmulatorEcr(), [f"{URI}:nope"])  # type: ignore[arg-type]
    assert caught.value.hint == "build it first: batchctl image build DIR --tag nope"
    assert [name for name, _ in client.api.calls] == ["tag"]
