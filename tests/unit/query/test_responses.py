"""Error and success documents as botocore's parser and a real botocore client read them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from domain.errors import DomainError, NoSuchEntity
from services.api.query import ParsedRequest, QueryError, QueryProtocol
from tests.unit.query.models import decode_response, protocol


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _client(service: str, status: int, body: bytes) -> Any:
    """A botocore client whose every request gets `status` and `body`, without a network."""
    session = botocore.session.get_session()
    client = session.create_client(
        service, region_name="us-east-1", endpoint_url="http://iamlog.invalid",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )

    def answer(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, status, {"x-amzn-requestid": "req-9"}, _Raw(body))

    client.meta.events.register("before-send", answer)
    return client


def _refusal(service: str, form: list[tuple[str, str]]) -> QueryError:
    with pytest.raises(QueryError) as refused:
        protocol(service).parse(form)
    return refused.value


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ([("Version", "2010-05-08")], "MissingAction"),
        ([("Action", "Nope"), ("Version", "2010-05-08")], "InvalidAction"),
        ([("Action", "GetUser"), ("Version", "2010-05-08"), ("UserName", "a b")],
         "ValidationError"),
        ([("Action", "GetUser"), ("Version", "2010-05-08"), ("UserName", "a"),
          ("UserName", "b")], "MalformedQueryString"),
        ([("Action", "ListUsers"), ("Version", "2010-05-08"), ("MaxItems", "x")],
         "InvalidParameterValue"),
    ],
)
def test_botocore_client_raises_client_error_with_our_code(
    form: list[tuple[str, str]], code: str
) -> None:
    """Each codec refusal, rendered, is a ClientError with its code, message and status."""
    error = _refusal("iam", form)
    status, body = protocol("iam").render_error(error, "req-9")
    with pytest.raises(ClientError) as raised:
        _client("iam", status, body).get_user()
    response = raised.value.response
    assert (code, error.message, 400, "Sender", "req-9") == (
        response["Error"]["Code"], response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Type"],
        response["ResponseMetadata"]["RequestId"],
    )


def test_domain_errors_render_with_their_status() -> None:
    """A handler's NoSuchEntity is a 404 ClientError (botocore's modeled exception class)."""
    status, body = protocol("iam").render_error(NoSuchEntity("The user with name x cannot be "
                                                             "found."), "r")
    client = _client("iam", status, body)
    with pytest.raises(client.exceptions.NoSuchEntityException) as raised:
        client.get_user(UserName="x")
    assert (404, "NoSuchEntity") == (
        raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
        raised.value.response["Error"]["Code"],
    )


def test_server_faults_are_receiver_errors() -> None:
    """5xx refusals say Type=Receiver."""
    status, body = protocol("sts").render_error(DomainError("boom"), "r")
    parsed = decode_response("sts", "GetCallerIdentity", body, status)
    assert (500, "Receiver", "ServiceFailure") == (
        status, parsed["Error"]["Type"], parsed["Error"]["Code"]
    )


def test_error_messages_are_xml_escaped() -> None:
    """Markup in a message survives as text."""
    message = "a <b> & 'c' \"d\" ]]> \r\n é 😀"
    status, body = protocol("iam").render_error(NoSuchEntity(message), "<id>")
    parsed = decode_response("iam", "GetUser", body, status)
    assert (message, "<id>") == (
        parsed["Error"]["Message"], parsed["ResponseMetadata"]["RequestId"]
    )


def test_error_document_shape() -> None:
    """The document is AWS's ErrorResponse in the service's namespace."""
    _, body = protocol("sts").render_error(NoSuchEntity("m"), "r1")
    assert (
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        b"<Type>Sender</Type><Code>NoSuchEntity</Code><Message>m</Message></Error>"
        b"<RequestId>r1</RequestId></ErrorResponse>"
    ) == body


def test_operation_without_output_renders_only_metadata() -> None:
    """DeleteUser answers with the response element and the request id."""
    body = protocol("iam").render(ParsedRequest("DeleteUser", "2010-05-08", {}), {}, "r2")
    assert (
        b'<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DeleteUserResponse>"
    ) == body


def test_success_through_a_botocore_client() -> None:
    """A rendered GetUser result comes out of boto's client as the same User."""
    user = {
        "Path": "/", "UserName": "bob", "UserId": "AIDAEXAMPLEEXAMPLE12",
        "Arn": "arn:aws:iam::123456789012:user/bob",
        "CreateDate": datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC),
        "Tags": [{"Key": "team", "Value": "a&b"}],
    }
    body = protocol("iam").render(ParsedRequest("GetUser", "2010-05-08", {}), {"User": user}, "r")
    returned = _client("iam", 200, body).get_user()
    assert user == returned["User"]


def test_timestamps_are_iso_8601_utc_with_z() -> None:
    """Whole seconds print without a fraction; naive datetimes are taken as UTC."""
    key = {"UserName": "bob", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active",
           "CreateDate": datetime(2024, 1, 2, 3, 4, 5)}
    body = protocol("iam").render(
        ParsedRequest("ListAccessKeys", "2010-05-08", {}),
        {"AccessKeyMetadata": [key], "IsTruncated": False}, "r",
    )
    assert b"<CreateDate>2024-01-02T03:04:05Z</CreateDate>" in body
    assert b"<IsTruncated>false</IsTruncated>" in body
    assert b"<AccessKeyMetadata><member><UserName>bob</UserName>" in body


def test_unknown_result_keys_and_none_are_left_out() -> None:
    """Keys the output shape lacks, and None values, do not appear."""
    body = protocol("sts").render(
        ParsedRequest("GetCallerIdentity", "2011-06-15", {}),
        {"Account": "123456789012", "Arn": None, "Secret": "s3cr3t"}, "r",
    )
    assert b"s3cr3t" not in body
    assert {"Account": "123456789012"} == {
        key: value for key, value in decode_response("sts", "GetCallerIdentity", body).items()
        if key != "ResponseMetadata"
    }


def test_codec_builds_for_both_services() -> None:
    """Each service knows its version, namespace and operations."""
    sts = QueryProtocol("sts")
    assert ("2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/") == (
        sts.version, sts.namespace
    )
    assert {"AssumeRole", "GetCallerIdentity"} <= sts.operation_names
