"""botocore's own models, serializer and parser, and the operations the tests cover."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qsl, urlencode

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from services.api.query import QueryProtocol

IAM_OPERATIONS = (
    "CreateUser", "GetUser", "ListUsers", "UpdateUser", "DeleteUser", "TagUser", "UntagUser",
    "ListUserTags", "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey",
    "GetAccessKeyLastUsed", "CreateGroup", "GetGroup", "ListGroups", "DeleteGroup",
    "AddUserToGroup", "RemoveUserFromGroup", "ListGroupsForUser", "CreatePolicy", "GetPolicy",
    "GetPolicyVersion", "CreatePolicyVersion", "DeletePolicyVersion", "ListPolicies",
    "ListPolicyVersions", "DeletePolicy", "AttachUserPolicy", "AttachGroupPolicy",
    "DetachUserPolicy", "DetachGroupPolicy", "ListAttachedUserPolicies",
    "ListAttachedGroupPolicies", "PutUserPolicy", "PutGroupPolicy", "GetUserPolicy",
    "GetGroupPolicy", "DeleteUserPolicy", "DeleteGroupPolicy", "ListUserPolicies",
    "ListGroupPolicies", "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary",
    "SimulatePrincipalPolicy", "SimulateCustomPolicy", "GenerateCredentialReport",
    "GetCredentialReport", "GetAccountSummary",
)
STS_OPERATIONS = (
    "AssumeRole", "GetSessionToken", "GetFederationToken", "AssumeRoleWithWebIdentity",
    "GetCallerIdentity", "GetAccessKeyInfo", "DecodeAuthorizationMessage",
)
CASES = tuple(("iam", name) for name in IAM_OPERATIONS) + tuple(
    ("sts", name) for name in STS_OPERATIONS
)


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of `service`."""
    return ServiceModel(Loader().load_service_model(service, "service-2"), service)


def operation_model(service: str, name: str) -> OperationModel:
    """botocore's model of one operation."""
    return service_model(service).operation_model(name)


@functools.cache
def protocol(service: str) -> QueryProtocol:
    """One codec per service for the whole test run (building it is the slow part)."""
    return QueryProtocol(service)  # type: ignore[arg-type]


def encode_request(service: str, name: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The form pairs boto3 sends for `params`, as the api decodes them from the body."""
    request = create_serializer("query").serialize_to_request(
        params, operation_model(service, name)
    )
    return parse_qsl(urlencode(request["body"]), keep_blank_values=True)


def decode_response(service: str, name: str, body: bytes, status: int = 200) -> dict[str, Any]:
    """What botocore makes of a response body for operation `name`."""
    parsed: dict[str, Any] = create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": status},
        operation_model(service, name).output_shape,
    )
    return parsed
