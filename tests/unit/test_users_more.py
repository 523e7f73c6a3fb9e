"""UpdateUser, TagUser/UntagUser and access key last use: given events, when a command, then
events (or AWS's refusal)."""

from __future__ import annotations

import gc
import time
from datetime import timedelta

import pytest

from domain.account import keys_of
from domain.commands import (
    CreateAccessKey,
    CreateUser,
    RecordAccessKeyUse,
    TagUser,
    UntagUser,
    UpdateUser,
)
from domain.errors import EntityAlreadyExists, LimitExceeded, NoSuchEntity, ValidationError
from domain.iam.errors import InvalidInput
from domain.iam.pmap import PMap
from events.schemas import (
    AccessKeyIssued,
    AccessKeyUsed,
    Event,
    Tag,
    UserTagged,
    UserUntagged,
    UserUpdated,
)
from tests.unit.iam_history import history, state_after, when
from tests.unit.samples import ACCOUNT, NOW

# --- UpdateUser ---------------------------------------------------------------------------


def test_rename_and_move_user() -> None:
    """UpdateUser records old and new name, new path and the new ARN; keys follow the user."""
    given = history(CreateAccessKey(user_name="Alice"))
    (event,) = when(given, UpdateUser(user_name="alice", new_user_name="Alicia",
                                      new_path="/ops/"))

    assert isinstance(event, UserUpdated)
    assert UserUpdated(account_id=ACCOUNT, user_name="Alice", user_id=event.user_id,
                       new_user_name="Alicia", new_path="/ops/",
                       arn=f"arn:aws:iam::{ACCOUNT}:user/ops/Alicia") == event
    state = state_after([*given, event])
    assert (["alicia"], ["Alicia"]) == (list(state.users),
                                        [k.owner for k in keys_of(state, "Alicia")])


def test_rename_to_a_taken_name_is_refused() -> None:
    """Another user's name, ignoring case, is `EntityAlreadyExists`."""
    with pytest.raises(EntityAlreadyExists):
        when(history(CreateUser(user_name="Bob")), UpdateUser(user_name="Alice",
                                                              new_user_name="BOB"))


def test_a_change_of_case_alone_is_allowed() -> None:
    """Alice may become ALICE."""
    (event,) = when(history(), UpdateUser(user_name="Alice", new_user_name="ALICE"))

    assert isinstance(event, UserUpdated)
    assert "ALICE" == event.new_user_name


def test_update_without_changes_records_nothing() -> None:
    """No new name or path: success, no event."""
    assert [] == when(history(), UpdateUser(user_name="Alice", new_path="/"))


def test_update_with_an_invalid_new_name_is_refused() -> None:
    """A new name with a space is a `ValidationError`."""
    with pytest.raises(ValidationError):
        when(history(), UpdateUser(user_name="Alice", new_user_name="a b"))


# --- tags ---------------------------------------------------------------------------------


def tags(*pairs: tuple[str, str]) -> tuple[Tag, ...]:
    """Tag models from pairs."""
    return tuple(Tag(key=k, value=v) for k, v in pairs)


def test_tag_user_merges_ignoring_case() -> None:
    """A key present in another case gets the new spelling and value, in place."""
    given = history(TagUser(user_name="Alice", tags=tags(("Team", "ops"), ("cost", "1"))))
    (event,) = when(given, TagUser(user_name="Alice", tags=tags(("TEAM", "dev"))))

    assert isinstance(event, UserTagged)
    assert (("TEAM", "dev"), ("cost", "1")) == state_after([*given, event]).users["alice"].tags


def test_untag_user_ignores_case_and_absent_keys() -> None:
    """UntagUser removes matching keys; keys the user lacks are ignored (none: no event)."""
    given = history(TagUser(user_name="Alice", tags=tags(("Team", "ops"), ("cost", "1"))))
    (event,) = when(given, UntagUser(user_name="Alice", tag_keys=("team", "nope")))

    assert isinstance(event, UserUntagged)
    assert ("Team",) == event.tag_keys
    assert (("cost", "1"),) == state_after([*given, event]).users["alice"].tags
    assert [] == when(given, UntagUser(user_name="Alice", tag_keys=("nope",)))


def test_at_most_fifty_tags_in_all() -> None:
    """Tags beyond 50 per user are `LimitExceeded`."""
    given = history(TagUser(user_name="Alice", tags=tags(*[(f"k{i}", "") for i in range(50)])))

    with pytest.raises(LimitExceeded):
        when(given, TagUser(user_name="Alice", tags=tags(("one-more", "x"))))
    assert [UserTagged] == [type(e) for e in when(given, TagUser(
        user_name="Alice", tags=tags(("K1", "replaced"))))]


@pytest.mark.parametrize(("given_tags", "error"), [
    ((), ValidationError),
    (tuple((f"k{i}", "") for i in range(51)), ValidationError),
    ((("", "v"),), ValidationError),
    ((("k" * 129, "v"),), ValidationError),
    ((("k", "v" * 257),), ValidationError),
    ((("k!", "v"),), ValidationError),
    ((("a", "1"), ("A", "2")), InvalidInput),
    ((("aws:x", "1"),), InvalidInput),
], ids=["none", "51", "empty-key", "long-key", "long-value", "bad-char", "duplicate",
        "reserved"])
def test_invalid_tags_are_refused(given_tags: tuple[tuple[str, str], ...],
                                  error: type[Exception]) -> None:
    """Tag counts, lengths, characters, duplicates and `aws:` keys are checked."""
    with pytest.raises(error):
        when(history(), TagUser(user_name="Alice", tags=tags(*given_tags)))


def test_unicode_letters_and_spaces_are_allowed_in_tags() -> None:
    """`\\p{L}`, `\\p{Z}` and `_.:/=+-@` are allowed characters."""
    assert [UserTagged] == [type(e) for e in when(history(), TagUser(
        user_name="Alice", tags=tags(("Équipe ops", "café:/=+-@_."))))]


# --- access key last use ------------------------------------------------------------------


def key_history() -> tuple[list[Event], str]:
    """History with one key of Alice's; and the key id."""
    given = history(CreateAccessKey(user_name="Alice"))
    issued = given[-1]
    assert isinstance(issued, AccessKeyIssued)
    return given, issued.access_key_id


def test_key_use_is_recorded_at_most_once_per_15_minutes() -> None:
    """A use within 15 minutes of the last recorded one records nothing; later, again."""
    given, key_id = key_history()
    first = when(given, RecordAccessKeyUse(access_key_id=key_id, service="iam",
                                           region="us-east-1", at=NOW))
    after = [*given, *first]

    assert [AccessKeyUsed(account_id=ACCOUNT, access_key_id=key_id, user_name="Alice",
                          owner_arn=f"arn:aws:iam::{ACCOUNT}:user/Alice", service="iam",
                          region="us-east-1", used_at=NOW)] == first
    assert NOW == state_after(after).keys[key_id].last_used_at
    assert [] == when(after, RecordAccessKeyUse(
        access_key_id=key_id, service="sts", region="us-east-1",
        at=NOW + timedelta(minutes=14, seconds=59)))
    assert 1 == len(when(after, RecordAccessKeyUse(
        access_key_id=key_id, service="sts", region="us-east-1", at=NOW + timedelta(minutes=15))))


def test_use_of_an_unknown_key_is_no_such_entity() -> None:
    """A key deleted meanwhile cannot have its use recorded."""
    with pytest.raises(NoSuchEntity):
        when(history(), RecordAccessKeyUse(access_key_id="AKIAAAAAAAAAAAAAAAAA", service="iam",
                                           region="us-east-1", at=NOW))


# --- the persistent map -------------------------------------------------------------------


def test_pmap_updates_leave_the_original_unchanged() -> None:
    """`set` and `remove` return new maps; the old one still has its items."""
    original = PMap.of({f"k{i}": i for i in range(200)})
    changed = original.set("k1", -1).remove("k2").set("new", 7)

    assert (200, 1, True, None) == (len(original), original["k1"], "k2" in original,
                                    original.get("new"))
    assert (200, -1, False, 7) == (len(changed), changed["k1"], "k2" in changed, changed["new"])
    assert dict(original) == {f"k{i}": i for i in range(200)}


def test_pmap_update_cost_does_not_grow_with_the_map() -> None:
    """An update copies O(log n), not a share of the map: folding 100,000 workloads into one
    account stays linear. (The 64-bucket map it replaced copied 1/64 of the map per update:
    at 128k entries an update cost ~40x one at 2k.)"""
    maps = {size: PMap.of({f"k{i}": i for i in range(size)}) for size in (2_000, 128_000)}
    best = dict.fromkeys(maps, float("inf"))

    gc.disable()  # a collection walking the big map would be timed, not the updates
    try:
        for _ in range(9):  # alternate, so a busy machine slows both sizes alike; keep the best
            for size, pmap in maps.items():
                started = time.perf_counter()
                for i in range(2000):
                    pmap.set(f"x{i}", i)
                best[size] = min(best[size], time.perf_counter() - started)
    finally:
        gc.enable()
    small, large = best[2_000], best[128_000]
    assert large < 10 * small, (small, large)  # the old map: ~40x
