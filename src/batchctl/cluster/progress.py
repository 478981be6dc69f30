"""How use cases report progress without printing: the CLI passes an implementation."""

from __future__ import annotations

from typing import Protocol

from batchctl.aws.cloudformation import StackEvent


class Progress(Protocol):
    def step(self, message: str) -> None:
        """A phase begins (e.g. "creating change set")."""

    def event(self, event: StackEvent) -> None:
        """A CloudFormation resource event."""

    def expect(self, total: int) -> None:
        """How many resource events the work ahead should bring (for a progress bar)."""


class Silent:
    def step(self, message: str) -> None:
        pass

    def event(self, event: StackEvent) -> None:
        pass

    def expect(self, total: int) -> None:
        pass
