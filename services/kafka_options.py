"""Connection options every aiokafka client gets: bootstrap servers and, in production,
SASL over TLS (the Strimzi `KafkaUser` of each role; see deploy/k8s)."""

from __future__ import annotations

import ssl
from typing import Any

from services.settings import Settings


def kafka_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `AIOKafkaProducer`, `AIOKafkaConsumer` and the admin client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in {"SSL", "SASL_SSL"}:
        options["ssl_context"] = ssl.create_default_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None)
    if settings.kafka_security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options
