"""boto3's IAM client against a real server: instance profiles and the role they hold."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import Account, Server, client
from tests.e2e.test_iam_roles import TRUST, refused


def test_instance_profile_lifecycle(iam: Any, account: Account) -> None:
    """Create (AIPA id, path, tags), add the one role, read it back everywhere, refusals for
    a second role and for deletes that would orphan, then take it all apart."""
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=json.dumps(TRUST))
    created = iam.create_instance_profile(InstanceProfileName="web-profile", Path="/apps/",
                                          Tags=[{"Key": "team", "Value": "ops"}])
    profile = created["InstanceProfile"]
    assert profile["InstanceProfileId"].startswith("AIPA")
    assert (f"arn:aws:iam::{account.account_id}:instance-profile/apps/web-profile", "/apps/",
            [], [{"Key": "team", "Value": "ops"}]) == (
        profile["Arn"], profile["Path"], profile["Roles"], profile["Tags"])
    assert ("EntityAlreadyExists", 409) == refused(iam.create_instance_profile,
                                                   InstanceProfileName="WEB-PROFILE")
    assert ("ValidationError", 400) == refused(iam.create_instance_profile,
                                               InstanceProfileName="bad name")

    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    assert ("LimitExceeded", 409) == refused(iam.add_role_to_instance_profile,
                                             InstanceProfileName="web-profile",
                                             RoleName="other")
    assert ("NoSuchEntity", 404) == refused(iam.add_role_to_instance_profile,
                                            InstanceProfileName="nope", RoleName="web")
    got = iam.get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]
    assert (profile["InstanceProfileId"], ["web"], TRUST, [{"Key": "team", "Value": "ops"}]) == (
        got["InstanceProfileId"], [r["RoleName"] for r in got["Roles"]],
        got["Roles"][0]["AssumeRolePolicyDocument"], got["Tags"])
    assert ["web-profile"] == [p["InstanceProfileName"] for p in iam.list_instance_profiles(
        PathPrefix="/apps/")["InstanceProfiles"]]
    assert [] == iam.list_instance_profiles(PathPrefix="/other/")["InstanceProfiles"]
    for_role = iam.list_instance_profiles_for_role(RoleName="web")["InstanceProfiles"]
    assert [("web-profile", ["web"])] == [
        (p["InstanceProfileName"], [r["RoleName"] for r in p["Roles"]]) for p in for_role]
    assert [] == iam.list_instance_profiles_for_role(RoleName="other")["InstanceProfiles"]
    assert ("NoSuchEntity", 404) == refused(iam.list_instance_profiles_for_role,
                                            RoleName="nope")

    summary = iam.get_account_summary()["SummaryMap"]
    assert (1, 1000) == (summary["InstanceProfiles"], summary["InstanceProfilesQuota"])
    assert ("DeleteConflict", 409) == refused(iam.delete_role, RoleName="web")
    assert ("DeleteConflict", 409) == refused(iam.delete_instance_profile,
                                              InstanceProfileName="web-profile")

    iam.tag_instance_profile(InstanceProfileName="web-profile",
                             Tags=[{"Key": "cost", "Value": "1"}])
    iam.untag_instance_profile(InstanceProfileName="web-profile", TagKeys=["TEAM"])
    assert [{"Key": "cost", "Value": "1"}] == iam.list_instance_profile_tags(
        InstanceProfileName="web-profile")["Tags"]

    iam.remove_role_from_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    assert [] == iam.get_instance_profile(InstanceProfileName="web-profile")[
        "InstanceProfile"]["Roles"]
    iam.delete_role(RoleName="web")
    iam.delete_instance_profile(InstanceProfileName="web-profile")
    assert ("NoSuchEntity", 404) == refused(iam.get_instance_profile,
                                            InstanceProfileName="web-profile")
    assert [] == iam.list_instance_profiles()["InstanceProfiles"]


def test_instance_profile_calls_are_authorized(server: Server, iam: Any) -> None:
    """A user without permissions is refused every instance profile call; nothing changes."""
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    user = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    iam.create_instance_profile(InstanceProfileName="guarded")

    assert ("AccessDenied", 403) == refused(user.create_instance_profile,
                                            InstanceProfileName="mine")
    assert ("AccessDenied", 403) == refused(user.delete_instance_profile,
                                            InstanceProfileName="guarded")
    assert ("AccessDenied", 403) == refused(user.list_instance_profiles)
    assert ["guarded"] == [p["InstanceProfileName"]
                           for p in iam.list_instance_profiles()["InstanceProfiles"]]


def test_listings_paginate(iam: Any) -> None:
    """ListInstanceProfiles and ListInstanceProfilesForRole page with MaxItems and Marker,
    by name; boto3's paginator walks them."""
    iam.create_role(RoleName="pager", AssumeRolePolicyDocument=json.dumps(TRUST))
    for name in ("p-c", "p-a", "p-b"):
        iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName="p-b", RoleName="pager")
    first = iam.list_instance_profiles(MaxItems=2)
    rest = iam.list_instance_profiles(Marker=first["Marker"])

    assert (["p-a", "p-b"], True, ["p-c"], False) == (
        [p["InstanceProfileName"] for p in first["InstanceProfiles"]], first["IsTruncated"],
        [p["InstanceProfileName"] for p in rest["InstanceProfiles"]], rest["IsTruncated"])
    pages = iam.get_paginator("list_instance_profiles").paginate(PaginationConfig={
        "PageSize": 1})
    assert ["p-a", "p-b", "p-c"] == [p["InstanceProfileName"] for page in pages
                                     for p in page["InstanceProfiles"]]
    assert [["pager"]] == [[r["RoleName"] for r in p["Roles"]] for p in
                           iam.list_instance_profiles_for_role(RoleName="pager",
                                                               MaxItems=1)["InstanceProfiles"]]
