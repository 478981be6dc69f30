"""Reading a user's file: the failures a catalogue run as root cannot produce for real."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from batchctl.config.files import read_text_file
from batchctl.errors import ConfigError


def test_permission_denied_is_its_own_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: demo\n", encoding="utf-8")

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(ConfigError) as raised:
        read_text_file(path, "config file", "pass -f FILE")
    assert raised.value.message == f"cannot read config file {path}: permission denied"
    assert raised.value.hint == f"check its permissions: ls -l {path}"


def test_a_file_below_a_file_is_not_found(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        read_text_file(tmp_path / "plain" / "c.yaml", "config file", "pass -f FILE")
    assert "a part of the path is a file, not a directory" in raised.value.message
