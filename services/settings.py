"""Configuration from `IAMLOG_*` environment variables; defaults point at `iamlog dev up`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STATE_DIR = Path.home() / ".cache" / "iamlog"


class Settings(BaseSettings):
    """Every knob of every role; one instance is built by the composition root."""

    model_config = SettingsConfigDict(env_prefix="IAMLOG_", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = (
        "PLAINTEXT")
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_ssl_cafile: Path | None = None
    database_url: SecretStr = SecretStr("postgresql://iamlog:iamlog@127.0.0.1:54329/iamlog")
    topic_prefix: str = "iamlog"
    partitions: int = Field(default=6, ge=1, le=256)
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # Several api processes on one host share the port (SO_REUSEPORT; the kernel spreads
    # connections over them): a way to use more cores than one event loop can.
    http_reuse_port: bool = False
    # "<version>:<base64 32 bytes>,..." — empty means: use the dev stack's generated key file.
    master_keys: SecretStr = SecretStr("")
    state_dir: Path = DEFAULT_STATE_DIR
    log_level: str = "INFO"
    workload_session_seconds: int = Field(default=3600, ge=60)
    # The scheduler: most commands per batch of due work, and per second (catch-up included).
    # Expiries (claimed once a second) may take half the slots: 1,000 records up to 500
    # expirations a second, 1.5x the rate of 100,000 workloads with 600-s sessions.
    scheduler_batch_size: int = Field(default=1000, ge=1, le=10_000)
    scheduler_max_rate: float = Field(default=2000.0, gt=0)
    # The processor: how many command ids per account it remembers to answer a repeated one
    # with its first outcome (the idempotency horizon).
    idempotency_window: int = Field(default=10_000, ge=1)
    # Tests only: a file holding seconds to add to every role's clock (read at each use).
    clock_offset_file: Path | None = None

    @property
    def master_key_file(self) -> Path:
        """Where `iamlog dev up` keeps its development-only master key."""
        return self.state_dir / "dev-master-keys"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once from the environment."""
    return Settings()
