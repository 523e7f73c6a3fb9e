"""A first round trip through botocore for CreateUser."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from services.api.query import QueryProtocol


def test_create_user_round_trip() -> None:
    """botocore's request parses to its params, and our response parses back to the result."""
    model = ServiceModel(Loader().load_service_model("iam", "service-2"), "iam")
    operation = model.operation_model("CreateUser")
    params = {"UserName": "bob", "Tags": [{"Key": "team", "Value": "x"}]}
    body = urlencode(create_serializer("query").serialize_to_request(params, operation)["body"])
    protocol = QueryProtocol("iam")
    parsed = protocol.parse(parse_qsl(body, keep_blank_values=True))
    assert params == parsed.args
    user = {"Path": "/", "UserName": "bob", "UserId": "AIDAEXAMPLE", "Arn": "arn:aws:iam::1:user/bob",
            "CreateDate": datetime(2024, 1, 1, tzinfo=UTC)}
    response = {"body": protocol.render(parsed, {"User": user}, "rid"), "headers": {},
                "status_code": 200}
    decoded = create_parser("query").parse(response, operation.output_shape)
    assert user == decoded["User"]
