"""The account aggregate: given events, when a command, then events (or a refusal)."""

from __future__ import annotations

import hashlib
import re
from types import MappingProxyType

import pytest
from pydantic import BaseModel

from domain import ids
from domain.account import AccountState, User, decide, evolve, fold, keys_of
from domain.commands import (
    Command,
    CreateAccessKey,
    CreateAccount,
    CreateUser,
    DeleteAccessKey,
    DeleteUser,
    UpdateAccessKey,
)
from domain.errors import (
    DeleteConflict,
    DomainError,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from events.schemas import (
    EVENT_MODELS,
    AccessKeyDeleted,
    AccessKeyDisabled,
    AccessKeyEnabled,
    AccessKeyIssued,
    AccountCreated,
    Event,
    UserCreated,
    UserDeleted,
)
from events.schemas.history import HISTORICAL_MODELS
from tests.unit.samples import ACCOUNT, MASTER_KEY_VERSION, NOW, context, replay

ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
ALICE_ARN = f"arn:aws:iam::{ACCOUNT}:user/Alice"


def nth_bytes(call: int, n: int) -> bytes:
    """What `FakeIds("iamlog-tests")` returns on its `call`-th call."""
    return hashlib.sha256(f"iamlog-tests/{call}".encode()).digest()[:n]


def when(given: list[Event], command: Command, account: str = ACCOUNT) -> list[Event]:
    """Decide `command` on the state the `given` events build."""
    return decide(fold(AccountState(account_id=account), given), command, context())


def issued(events: list[Event], user_name: str | None = None) -> list[str]:
    """Ids of the keys issued to `user_name` (root for None) in `events`."""
    return [e.access_key_id for e in events
            if isinstance(e, AccessKeyIssued) and e.user_name == user_name]


def account() -> list[Event]:
    """History: the account exists, with its first root key."""
    return replay([CreateAccount()])


def alice(*more: Command) -> list[Event]:
    """History: the account, user Alice, then `more`."""
    return replay([CreateAccount(), CreateUser(user_name="Alice"), *more])


def alice_with_keys(n: int) -> list[Event]:
    """History: the account and user Alice with `n` access keys."""
    return alice(*[CreateAccessKey(user_name="Alice")] * n)


# --- accounts ---------------------------------------------------------------------------------


def test_create_account_issues_its_root_key() -> None:
    """Creating an account records it and issues one Active root key from the fake id source."""
    assert [
        AccountCreated(account_id=ACCOUNT, created_at=NOW),
        AccessKeyIssued(
            account_id=ACCOUNT,
            access_key_id=ids.access_key_id(nth_bytes(1, 10)),
            user_name=None,
            owner_arn=ROOT_ARN,
            salt=nth_bytes(2, 16).hex(),
            master_key_version=MASTER_KEY_VERSION,
            created_at=NOW,
        ),
    ] == when([], CreateAccount())


def test_created_account_holds_one_active_root_key() -> None:
    """After the creation events the state knows the account and its Active root key."""
    state = fold(AccountState(account_id=ACCOUNT), account())

    assert (True, 2) == (state.exists, state.version)
    assert ["Active"] == [key.status for key in keys_of(state, None)]


def test_create_account_twice_is_refused() -> None:
    """A second CreateAccount for an existing account is `EntityAlreadyExists`."""
    with pytest.raises(EntityAlreadyExists) as caught:
        when(account(), CreateAccount())

    assert ACCOUNT == caught.value.account_id


@pytest.mark.parametrize(
    "bad",
    ["", "12345678901", "1234567890123", "12345678901a", "１２３456789012", "123456789012\n"],
)
def test_create_account_with_an_invalid_id_is_refused(bad: str) -> None:
    """An account id that is not exactly 12 ASCII digits is a `ValidationError`."""
    with pytest.raises(ValidationError):
        when([], CreateAccount(), account=bad)


@pytest.mark.parametrize(
    "command",
    [
        CreateUser(user_name="Alice"),
        DeleteUser(user_name="Alice"),
        CreateAccessKey(),
        CreateAccessKey(user_name="Alice"),
        UpdateAccessKey(access_key_id="AKIAAAAAAAAAAAAAAAAA", status="Inactive"),
        DeleteAccessKey(access_key_id="AKIAAAAAAAAAAAAAAAAA"),
    ],
    ids=lambda command: command.kind,
)
def test_commands_on_a_missing_account_are_refused(command: Command) -> None:
    """Every command but CreateAccount needs the account to exist (`NoSuchEntity`)."""
    with pytest.raises(NoSuchEntity) as caught:
        when([], command)

    assert ACCOUNT == caught.value.account_id


# --- users ------------------------------------------------------------------------------------


def test_create_user_records_its_id_path_and_arn() -> None:
    """CreateUser gives one UserCreated with an AIDA id, the default path `/` and the ARN."""
    assert [
        UserCreated(
            account_id=ACCOUNT,
            user_name="Alice",
            user_id=ids.unique_id("AIDA", nth_bytes(1, 11)),
            path="/",
            arn=ALICE_ARN,
            created_at=NOW,
        )
    ] == when(account(), CreateUser(user_name="Alice"))


def test_user_ids_have_the_aws_format() -> None:
    """User ids are `AIDA` and 17 upper-case base32 characters."""
    (event,) = when(account(), CreateUser(user_name="Alice"))

    assert isinstance(event, UserCreated)
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", event.user_id)


def test_create_user_with_a_path_puts_it_in_the_arn() -> None:
    """A user created under `/division/team/` has that path inside its ARN."""
    (event,) = when(account(), CreateUser(user_name="Alice", path="/division/team/"))

    assert isinstance(event, UserCreated)
    assert ("/division/team/", f"arn:aws:iam::{ACCOUNT}:user/division/team/Alice") == (
        event.path, event.arn)


@pytest.mark.parametrize("name", ["a", "A" * 64, "svc+deploy=1,x.y@example-co_2"])
def test_user_names_of_allowed_characters_up_to_64_are_accepted(name: str) -> None:
    """Names of 1 to 64 characters of `[\\w+=,.@-]` are accepted as given."""
    (event,) = when(account(), CreateUser(user_name=name))

    assert isinstance(event, UserCreated)
    assert name == event.user_name


@pytest.mark.parametrize(
    "name",
    ["", "A" * 65, "team/alice", "alice smith", "alice:x", "élodie", "alice\n"],
    ids=["empty", "65-chars", "slash", "space", "colon", "non-ascii", "newline"],
)
def test_invalid_user_names_are_refused(name: str) -> None:
    """Empty, 65-character names and names with other characters are a `ValidationError`."""
    with pytest.raises(ValidationError):
        when(account(), CreateUser(user_name=name))


@pytest.mark.parametrize(
    "path",
    ["", "division", "/division", "division/", "//", "/a b/", "/é/", "/" + "a" * 511 + "/"],
)
def test_invalid_paths_are_refused(path: str) -> None:
    """A path not of the form `/` or `/…/` of printable ASCII, ≤ 512 characters, is refused."""
    with pytest.raises(ValidationError):
        when(account(), CreateUser(user_name="Alice", path=path))


def test_a_path_of_512_characters_is_accepted() -> None:
    """The longest allowed path, 512 characters, is accepted."""
    path = "/" + "a" * 510 + "/"

    (event,) = when(account(), CreateUser(user_name="Alice", path=path))

    assert isinstance(event, UserCreated)
    assert path == event.path


@pytest.mark.parametrize("name", ["Alice", "alice", "ALICE", "aLiCe"])
def test_user_names_are_unique_ignoring_case(name: str) -> None:
    """A second user whose name differs only in case is `EntityAlreadyExists`."""
    with pytest.raises(EntityAlreadyExists) as caught:
        when(alice(), CreateUser(user_name=name))

    assert name == caught.value.entity


def test_a_deleted_users_name_can_be_taken_again() -> None:
    """After Alice is deleted, `alice` can be created."""
    (event,) = when(alice(DeleteUser(user_name="Alice")), CreateUser(user_name="alice"))

    assert isinstance(event, UserCreated)
    assert "alice" == event.user_name


def test_user_quota_is_5000() -> None:
    """An account with 5,000 users refuses another with `LimitExceeded`."""
    users = {
        f"u{i}": User(f"u{i}", f"AIDA{i:017d}", "/", f"arn:aws:iam::{ACCOUNT}:user/u{i}")
        for i in range(5000)
    }
    state = AccountState(account_id=ACCOUNT, exists=True, users=MappingProxyType(users))

    with pytest.raises(LimitExceeded):
        decide(state, CreateUser(user_name="one-too-many"), context())


def test_delete_user_without_keys() -> None:
    """Deleting a user without keys gives UserDeleted with its id and ARN."""
    created = alice()
    user = created[-1]
    assert isinstance(user, UserCreated)

    assert [
        UserDeleted(account_id=ACCOUNT, user_name="Alice", user_id=user.user_id, arn=ALICE_ARN)
    ] == when(created, DeleteUser(user_name="alice"))


def test_deleted_user_is_gone_from_the_state() -> None:
    """After UserDeleted the state no longer holds the user."""
    state = fold(AccountState(account_id=ACCOUNT), alice(DeleteUser(user_name="Alice")))

    assert {} == dict(state.users)


@pytest.mark.parametrize("disable", [False, True], ids=["active-key", "inactive-key"])
def test_delete_user_with_keys_is_a_conflict(disable: bool) -> None:
    """A user who still has an access key, Active or Inactive, cannot be deleted."""
    given = alice_with_keys(1)
    if disable:
        (key,) = issued(given, "Alice")
        given += when(given, UpdateAccessKey(access_key_id=key, status="Inactive",
                                             user_name="Alice"))

    with pytest.raises(DeleteConflict) as caught:
        when(given, DeleteUser(user_name="Alice"))

    assert (ACCOUNT, "Alice") == (caught.value.account_id, caught.value.entity)


def test_delete_user_after_deleting_its_keys() -> None:
    """Once its keys are deleted the user can be deleted."""
    given = alice_with_keys(1)
    (key,) = issued(given, "Alice")
    given += when(given, DeleteAccessKey(access_key_id=key, user_name="Alice"))

    assert [UserDeleted] == [type(e) for e in when(given, DeleteUser(user_name="Alice"))]


def test_root_keys_do_not_block_deleting_a_user() -> None:
    """The account root's keys are not a user's dependents."""
    given = alice(CreateAccessKey())

    assert [UserDeleted] == [type(e) for e in when(given, DeleteUser(user_name="Alice"))]


@pytest.mark.parametrize(
    "command",
    [
        DeleteUser(user_name="Bob"),
        CreateAccessKey(user_name="Bob"),
        UpdateAccessKey(access_key_id="AKIAAAAAAAAAAAAAAAAA", status="Inactive", user_name="Bob"),
        DeleteAccessKey(access_key_id="AKIAAAAAAAAAAAAAAAAA", user_name="Bob"),
    ],
    ids=lambda command: command.kind,
)
def test_unknown_users_are_no_such_entity(command: Command) -> None:
    """Naming a user the account does not have is `NoSuchEntity`."""
    with pytest.raises(NoSuchEntity) as caught:
        when(alice(), command)

    assert "Bob" == caught.value.entity


@pytest.mark.parametrize(
    "command",
    [
        DeleteUser(user_name="team/alice"),
        CreateAccessKey(user_name="A" * 65),
        UpdateAccessKey(access_key_id="AKIAAAAAAAAAAAAAAAAA", status="Active", user_name="a b"),
        DeleteAccessKey(access_key_id="AKIAAAAAAAAAAAAAAAAA", user_name=""),
    ],
    ids=lambda command: command.kind,
)
def test_invalid_names_in_lookups_are_validation_errors(command: Command) -> None:
    """A malformed user name is a `ValidationError` even where a user is only looked up."""
    with pytest.raises(ValidationError):
        when(alice(), command)


# --- access keys ------------------------------------------------------------------------------


def test_create_access_key_for_a_user() -> None:
    """CreateAccessKey issues an Active key to the user, named as stored, never its secret."""
    assert [
        AccessKeyIssued(
            account_id=ACCOUNT,
            access_key_id=ids.access_key_id(nth_bytes(1, 10)),
            user_name="Alice",
            owner_arn=ALICE_ARN,
            salt=nth_bytes(2, 16).hex(),
            master_key_version=MASTER_KEY_VERSION,
            created_at=NOW,
        )
    ] == when(alice(), CreateAccessKey(user_name="ALICE"))


def test_access_key_ids_have_the_aws_format() -> None:
    """Access key ids are `AKIA` and 16 upper-case base32 characters."""
    (event,) = when(alice(), CreateAccessKey(user_name="Alice"))

    assert isinstance(event, AccessKeyIssued)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", event.access_key_id)


def test_a_user_may_hold_two_keys() -> None:
    """The second key of a user is issued."""
    assert [AccessKeyIssued] == [
        type(e) for e in when(alice_with_keys(1), CreateAccessKey(user_name="Alice"))]


def test_a_third_key_is_refused() -> None:
    """A user with two keys gets `LimitExceeded` for a third."""
    with pytest.raises(LimitExceeded) as caught:
        when(alice_with_keys(2), CreateAccessKey(user_name="Alice"))

    assert "Cannot exceed quota for AccessKeysPerUser: 2" == caught.value.message


def test_inactive_keys_count_towards_the_limit() -> None:
    """Disabling a key does not free a place: the third key is still refused."""
    given = alice_with_keys(2)
    first = issued(given, "Alice")[0]
    given += when(given, UpdateAccessKey(access_key_id=first, status="Inactive",
                                         user_name="Alice"))

    with pytest.raises(LimitExceeded):
        when(given, CreateAccessKey(user_name="Alice"))


def test_deleting_a_key_frees_a_place() -> None:
    """After one of two keys is deleted a new key can be issued."""
    given = alice_with_keys(2)
    first = issued(given, "Alice")[0]
    given += when(given, DeleteAccessKey(access_key_id=first, user_name="Alice"))

    assert [AccessKeyIssued] == [
        type(e) for e in when(given, CreateAccessKey(user_name="Alice"))]


def test_root_may_hold_two_keys_and_no_third() -> None:
    """Root has the same limit: its second key is issued, a third is `LimitExceeded`."""
    assert [AccessKeyIssued] == [type(e) for e in when(account(), CreateAccessKey())]
    with pytest.raises(LimitExceeded):
        when(replay([CreateAccount(), CreateAccessKey()]), CreateAccessKey())


def test_limits_are_per_user() -> None:
    """Root's two keys and Alice's two keys do not count against Bob."""
    given = alice(CreateAccessKey(), CreateAccessKey(user_name="Alice"),
                  CreateAccessKey(user_name="Alice"), CreateUser(user_name="Bob"))

    (event,) = when(given, CreateAccessKey(user_name="Bob"))

    assert isinstance(event, AccessKeyIssued)
    assert ("Bob", f"arn:aws:iam::{ACCOUNT}:user/Bob") == (event.user_name, event.owner_arn)


def test_disable_an_active_key() -> None:
    """Setting an Active key Inactive gives AccessKeyDisabled with its owner."""
    given = alice_with_keys(1)
    (key,) = issued(given, "Alice")

    assert [
        AccessKeyDisabled(account_id=ACCOUNT, access_key_id=key, user_name="Alice",
                          owner_arn=ALICE_ARN)
    ] == when(given, UpdateAccessKey(access_key_id=key, status="Inactive", user_name="Alice"))


def test_enable_an_inactive_key() -> None:
    """Setting an Inactive key Active again gives AccessKeyEnabled."""
    given = alice_with_keys(1)
    (key,) = issued(given, "Alice")
    given += when(given, UpdateAccessKey(access_key_id=key, status="Inactive", user_name="Alice"))

    assert [
        AccessKeyEnabled(account_id=ACCOUNT, access_key_id=key, user_name="Alice",
                         owner_arn=ALICE_ARN)
    ] == when(given, UpdateAccessKey(access_key_id=key, status="Active", user_name="Alice"))


def test_status_changes_are_folded_into_the_state() -> None:
    """The state follows Active → Inactive → Active."""
    given = alice_with_keys(1)
    (key,) = issued(given, "Alice")
    statuses = []
    for status in ("Inactive", "Active"):
        given += when(given, UpdateAccessKey(access_key_id=key, status=status, user_name="Alice"))
        state = fold(AccountState(account_id=ACCOUNT), given)
        statuses.append(state.keys[key].status)

    assert ["Inactive", "Active"] == statuses


@pytest.mark.parametrize("status", ["Active", "Inactive"])
def test_setting_the_current_status_changes_nothing(status: str) -> None:
    """Updating a key to the status it has succeeds with no event, as in AWS."""
    given = alice_with_keys(1)
    (key,) = issued(given, "Alice")
    if status == "Inactive":
        given += when(given, UpdateAccessKey(access_key_id=key, status="Inactive",
                                             user_name="Alice"))

    assert [] == when(given, UpdateAccessKey.model_validate(
        {"access_key_id": key, "status": status, "user_name": "Alice"}))


def test_update_root_key() -> None:
    """Without a user name the key is looked up among root's keys."""
    given = account()
    (key,) = issued(given)

    assert [
        AccessKeyDisabled(account_id=ACCOUNT, access_key_id=key, user_name=None,
                          owner_arn=ROOT_ARN)
    ] == when(given, UpdateAccessKey(access_key_id=key, status="Inactive"))


def test_delete_a_key() -> None:
    """DeleteAccessKey gives AccessKeyDeleted and the key leaves the state."""
    given = alice_with_keys(1)
    (key,) = issued(given, "Alice")
    deleted = when(given, DeleteAccessKey(access_key_id=key, user_name="Alice"))

    assert [
        AccessKeyDeleted(account_id=ACCOUNT, access_key_id=key, user_name="Alice",
                         owner_arn=ALICE_ARN)
    ] == deleted
    assert [] == keys_of(fold(AccountState(account_id=ACCOUNT), given + deleted), "Alice")


def test_delete_a_deleted_key_is_no_such_entity() -> None:
    """A key deleted once cannot be found again."""
    given = alice_with_keys(1)
    (key,) = issued(given, "Alice")
    given += when(given, DeleteAccessKey(access_key_id=key, user_name="Alice"))

    with pytest.raises(NoSuchEntity):
        when(given, DeleteAccessKey(access_key_id=key, user_name="Alice"))


@pytest.mark.parametrize("kind", ["update", "delete"])
def test_unknown_key_is_no_such_entity(kind: str) -> None:
    """A key id the account never issued is `NoSuchEntity`, naming the key."""
    unknown = "AKIAZZZZZZZZZZZZZZZZ"
    command: Command = (
        UpdateAccessKey(access_key_id=unknown, status="Inactive", user_name="Alice")
        if kind == "update" else DeleteAccessKey(access_key_id=unknown, user_name="Alice")
    )

    with pytest.raises(NoSuchEntity) as caught:
        when(alice_with_keys(1), command)

    assert unknown == caught.value.entity


@pytest.mark.parametrize(
    ("owner", "asked_as"),
    [("Alice", "Bob"), ("Alice", None), (None, "Alice")],
    ids=["alice-key-as-bob", "alice-key-as-root", "root-key-as-alice"],
)
@pytest.mark.parametrize("kind", ["update", "delete"])
def test_a_key_of_another_owner_is_no_such_entity(
    owner: str | None, asked_as: str | None, kind: str,
) -> None:
    """A key is only found under its own owner: another user's (or root's) is `NoSuchEntity`."""
    given = alice(CreateUser(user_name="Bob"), CreateAccessKey(user_name=owner))
    (key,) = issued(given, owner)[-1:]
    command: Command = (
        UpdateAccessKey(access_key_id=key, status="Inactive", user_name=asked_as)
        if kind == "update" else DeleteAccessKey(access_key_id=key, user_name=asked_as)
    )

    with pytest.raises(NoSuchEntity):
        when(given, command)


# --- the aggregate as a whole -----------------------------------------------------------------


def test_refusals_carry_aws_codes_and_statuses() -> None:
    """Each refusal maps to its AWS error code and HTTP status."""
    assert [
        ("ValidationError", 400), ("NoSuchEntity", 404), ("EntityAlreadyExists", 409),
        ("LimitExceeded", 409), ("DeleteConflict", 409),
    ] == [(cls.code, cls.http_status) for cls in (
        ValidationError, NoSuchEntity, EntityAlreadyExists, LimitExceeded, DeleteConflict)]


def test_decide_is_deterministic() -> None:
    """The same state, command and context always give the same events (replay is exact)."""
    given = alice()
    command = CreateAccessKey(user_name="Alice")

    assert when(given, command) == when(given, command)


def test_version_counts_every_event() -> None:
    """The state's version is the number of events folded in: the next event's sequence."""
    given = alice_with_keys(2)

    assert len(given) == fold(AccountState(account_id=ACCOUNT), given).version


def test_a_refused_command_leaves_the_state_unchanged() -> None:
    """Deciding never mutates the state, even when it refuses."""
    state = fold(AccountState(account_id=ACCOUNT), alice_with_keys(2))
    before = (state.version, dict(state.users), dict(state.keys))

    with pytest.raises(DomainError):
        decide(state, CreateAccessKey(user_name="Alice"), context())

    assert before == (state.version, dict(state.users), dict(state.keys))


def test_evolve_returns_a_new_state() -> None:
    """Folding an event builds a new state and leaves the old one as it was."""
    empty = AccountState(account_id=ACCOUNT)

    evolved = evolve(empty, AccountCreated(account_id=ACCOUNT, created_at=NOW))

    assert (False, True) == (empty.exists, evolved.exists)


@pytest.mark.parametrize(
    "model",
    [*EVENT_MODELS.values(), *HISTORICAL_MODELS],
    ids=lambda m: f"{m.event_type}.v{m.version}",
)
def test_no_event_field_can_hold_a_secret(model: type[BaseModel]) -> None:
    """No event model has a field named like a secret, password or token."""
    assert [] == [
        name for name in model.model_fields
        if re.search(r"secret|password|passwd|token|private", name, re.IGNORECASE)
    ]
