"""What `iamlog dev status` reports about one component of the stack."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class State(StrEnum):
    """Whether a component runs, and whether it is ours."""

    RUNNING = "running"
    STOPPED = "stopped"
    # Something else already listens on the component's port; the stack uses it as it is.
    EXTERNAL = "external"


@dataclass(frozen=True)
class ComponentStatus:
    """One component: its state, process, address and files."""

    name: str
    state: State
    address: str
    data_dir: Path
    log_file: Path
    pid: int | None = None

    @property
    def available(self) -> bool:
        """Whether clients can use the component now."""
        return self.state is not State.STOPPED
