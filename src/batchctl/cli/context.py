"""What every command shares: global options, the loaded config, the SDK object, and how to call batchctl again."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from batchctl.paths import DEFAULT_CONFIG_FILE
from batchctl.targets import Target, TargetRequest

if TYPE_CHECKING:
    from batchctl.api import Aws, Batchctl
    from batchctl.config.names import ClusterNames

# The SDK, boto3 and pydantic are imported lazily below: they cost a noticeable share of `batchctl --help`.


@dataclass
class AppContext:
    config_path: Path = Path(DEFAULT_CONFIG_FILE)
    profile: str | None = None
    profile_given: bool = False  # --profile on the command line (not AWS_PROFILE)
    region: str | None = None
    local_flag: bool | None = None  # --local given; None: as BATCHCTL_LOCAL says
    debug: bool = False
    output: str = "table"
    _names: ClusterNames | None = field(default=None, repr=False)
    _target: Target | None = field(default=None, repr=False)
    _aws: Aws | None = field(default=None, repr=False)
    _api: Batchctl | None = field(default=None, repr=False)

    @property
    def json(self) -> bool:
        return self.output == "json"

    @property
    def request(self) -> TargetRequest:
        return TargetRequest(local=self.local_flag, profile=self.profile, region=self.region)

    @property
    def local(self) -> bool:
        """--local, or BATCHCTL_LOCAL=1 (before the emulator is probed)."""
        return self.request.wants_local

    def names(self) -> ClusterNames:
        """The cluster's name, region, queues and job definitions: all that reading jobs and queues needs."""
        if self._names is None:
            from batchctl.config.names import read_names

            self._names = read_names(self.config_path)
        return self._names

    def target(self) -> Target:
        """Resolved once per command (the emulator is probed once)."""
        if self._target is None:
            from batchctl.targets import resolve_target

            self._target = resolve_target(self.request, self.names().region)
        return self._target

    def aws(self) -> Aws:
        if self._aws is None:
            from batchctl.api import connect

            self._aws = connect(self.target())
        return self._aws

    def api(self) -> Batchctl:
        if self._api is None:
            from batchctl.api import Batchctl

            # The SDK validates batchctl.yaml fully only for what needs it (see Batchctl.config).
            self._api = Batchctl(self.config_path, self.aws, names=self.names())
        return self._api

    def command(self, *, local: bool = False, config: Path | None = None) -> str:
        """How to call batchctl again with the same cluster and target, for the hints after a command
        (local=True: with --local whatever this command targets; config: another file, e.g. the one `init` wrote)."""
        words = ["batchctl"]
        if self.local or local:
            words.append("--local")
        config = config or self.config_path
        if str(config) != DEFAULT_CONFIG_FILE:
            words.append(f"-f {shlex.quote(str(config))}")
        if self.profile and self.profile_given:
            words.append(f"--profile {shlex.quote(self.profile)}")
        if self.region:
            words.append(f"--region {self.region}")
        return " ".join(words)


# The command being run (one per process at a time): the error boundary writes its hints with the same options.
_current: list[AppContext] = []


def remember_app(app: AppContext) -> None:
    _current[:] = [app]


def forget_app() -> None:
    _current.clear()


def current_app() -> AppContext | None:
    return _current[0] if _current else None
