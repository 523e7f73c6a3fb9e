"""Commands touching every instance profile, workload and workload session event, for the
scenarios that must hold every event type (schemas, rebuild)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.commands import (
    AddRoleToInstanceProfile,
    BindWorkload,
    Command,
    CreateInstanceProfile,
    DeleteInstanceProfile,
    RemoveRoleFromInstanceProfile,
    RenewWorkloadSession,
    TagInstanceProfile,
    UnbindWorkload,
    UntagInstanceProfile,
)
from events.schemas import Tag

DIGEST = "ab" * 32


def session(n: int, now: datetime) -> dict[str, object]:
    """The fields of a made-up session number `n` (as services.credentials would build them)."""
    return {"session_key_id": "ASIA" + "ABCDEFGHIJKLMNOP"[n % 16] * 16, "salt": f"{n:032x}",
            "master_key_version": 1, "issued_at": now,
            "expires_at": now + timedelta(hours=1)}


def profile_commands(role: str, now: datetime, *, keep: bool = False,
                     offset: int = 0) -> list[Command]:
    """Every profile and workload event, on `role`; with `keep`, a bound profile remains.

    Session ids are numbers from `offset + 1` (give each account its own range).
    """
    sid = [f"{offset + n:032x}" for n in range(5)]
    commands: list[Command] = [
        CreateInstanceProfile(instance_profile_name="web", path="/apps/",
                              tags=(Tag(key="a", value="1"), Tag(key="b", value="2"))),
        TagInstanceProfile(instance_profile_name="web", tags=(Tag(key="A", value="3"),)),
        UntagInstanceProfile(instance_profile_name="web", tag_keys=("b",)),
        AddRoleToInstanceProfile(instance_profile_name="web", role_name=role),
        BindWorkload(workload="api", profile_name="web", bearer_sha256=DIGEST,
                     session_id=sid[1], **session(offset + 1, now)),  # type: ignore[arg-type]
        RenewWorkloadSession(workload="api", old_session_id=sid[1],
                             new_session_id=sid[2],
                             **session(offset + 2, now + timedelta(minutes=30))),  # type: ignore[arg-type]
        UnbindWorkload(workload="api"),
        BindWorkload(workload="batch", profile_name="web", bearer_sha256=DIGEST,
                     session_id=sid[3], **session(offset + 3, now)),  # type: ignore[arg-type]
        RemoveRoleFromInstanceProfile(instance_profile_name="web", role_name=role),
        UnbindWorkload(workload="batch"),
        DeleteInstanceProfile(instance_profile_name="web"),
    ]
    if keep:
        commands += [
            BindWorkload(workload="svc", profile_name=role, role_name=role,
                         bearer_sha256=DIGEST, session_id=sid[4],
                         **session(offset + 4, now)),  # type: ignore[arg-type]
            TagInstanceProfile(instance_profile_name=role, tags=(Tag(key="k", value="v"),)),
        ]
    return commands
