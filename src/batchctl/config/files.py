"""Read a user's text file (batchctl.yaml, a job file) with one specific line for each way that can fail.

Only regular files are read (a FIFO or a device would block or never end), at most MAX_FILE_BYTES of them, and
only as UTF-8.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from batchctl.errors import ConfigError

MAX_FILE_BYTES = 10 * 1024 * 1024


def read_text_file(path: Path, what: str, missing_hint: str) -> str:
    """The text of `path`; `what` names the file in errors ("config file", "job file")."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ConfigError(
                f"{what} {path} is a symbolic link to {os.readlink(path)}, which does not exist",
                hint="point the link at an existing file, or pass the file itself",
            ) from None
        raise ConfigError(f"{what} {path} not found", hint=missing_hint) from None
    except OSError as exc:
        raise _os_error(exc, path, what) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{what} {path} is a directory", hint=f"pass the path of a file inside it: {missing_hint}")
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{what} {path} is not a regular file (a pipe, socket or device)", hint="pass a file")
    if info.st_size > MAX_FILE_BYTES:
        raise ConfigError(
            f"{what} {path} is {info.st_size / 1024 / 1024:.1f} MiB; batchctl reads at most "
            f"{MAX_FILE_BYTES // 1024 // 1024} MiB",
            hint="this is not a batchctl file, or it should be split",
        )
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _os_error(exc, path, what) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{path}:{line}:{column}: {what} is not UTF-8 text (byte 0x{data[exc.start]:02x})",
            hint="save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
        ) from None


def _os_error(exc: OSError, path: Path, what: str) -> ConfigError:
    if exc.errno == errno.ELOOP:
        return ConfigError(
            f"{what} {path} is a symbolic link loop (the links lead back to themselves)",
            hint="point the link at a real file",
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ConfigError(f"cannot read {what} {path}: permission denied", hint=f"check its permissions: ls -l {path}")
    if exc.errno == errno.ENOTDIR:
        return ConfigError(f"{what} {path} not found: a part of the path is a file, not a directory")
    return ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}")
