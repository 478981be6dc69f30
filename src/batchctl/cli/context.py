"""What every command shares: global options, the loaded config, and where AWS calls go."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from batchctl.errors import EmulatorNotRunningError
from batchctl.paths import DEFAULT_CONFIG_FILE

if TYPE_CHECKING:
    from batchctl.aws.session import Aws, Target
    from batchctl.config import ClusterConfig

# boto3 and pydantic are imported lazily below: they cost a noticeable share of `batchctl --help`.


def check_region_variable() -> None:
    """AWS_REGION (or AWS_DEFAULT_REGION) names a region AWS has, or the SDK calls made in its name would fail."""
    from batchctl.config.regions import region_problem
    from batchctl.errors import ConfigError

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(name, "").strip()
        problem = region_problem(value) if value else None
        if problem:
            raise ConfigError(f"{name}={value}: {problem}", hint=f"fix or unset {name}")


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class AppContext:
    config_path: Path = Path(DEFAULT_CONFIG_FILE)
    profile: str | None = None
    region: str | None = None
    local: bool = False
    debug: bool = False
    output: str = "table"
    _config: ClusterConfig | None = field(default=None, repr=False)
    _aws: Aws | None = field(default=None, repr=False)

    @property
    def json(self) -> bool:
        return self.output == "json"

    def config(self) -> ClusterConfig:
        if self._config is None:
            from batchctl.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def target(self) -> Target:
        from batchctl.aws.session import Target

        region = self.region or self.config().region
        check_region_variable()
        if not self.local:
            return Target(region=region, profile=self.profile)
        from batchctl.local.process import status

        running = status()
        if running is None:
            raise EmulatorNotRunningError(
                "--local was given but the local emulator is not running", hint="start it with `batchctl local up`"
            )
        return Target(
            region=region, endpoint_url=running.endpoint, emulator_pid=running.pid, emulator_log=str(running.log_file)
        )

    def aws(self) -> Aws:
        if self._aws is None:
            from batchctl.aws.session import Aws

            self._aws = Aws(self.target())
        return self._aws
