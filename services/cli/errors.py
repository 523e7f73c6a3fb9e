"""How a CLI command ends when it cannot do its work: one AWS-style line on stderr.

Bad input is refused before anything is sent (`Code: message`, exit code 1), and so are
refusals of the processor; Kafka or Postgres out of reach is `ServiceUnavailable`. Text the
user typed is echoed with control characters, invalid UTF-8 (surrogate escapes from argv) and
other unprintables escaped, so an error is one line and never an encoding failure. A
traceback is left for defects only.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pydantic
import typer
from aiokafka.errors import KafkaError

from domain.errors import DomainError, ValidationError

_OUT_OF_REACH = ("Kafka or Postgres is out of reach ({}); is the stack up "
                 "(`iamlog dev status`)?")
# Infrastructure out of reach, as the clients report it.
UNREACHABLE: tuple[type[BaseException], ...] = (
    KafkaError, ConnectionError, TimeoutError, socket.gaierror,
    asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


def printable(text: str, limit: int = 300) -> str:
    """`text` on one line: unprintable characters as escapes, cut at `limit` characters."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def refuse(code: str, message: str) -> SystemExit:
    """Print `code: message` on stderr; the exit (code 1) to raise, inside a command or
    around the whole CLI alike."""
    typer.echo(f"{code}: {printable(message, 1000)}", err=True)
    return SystemExit(1)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn refusals, invalid input and unreachable infrastructure into `refuse`."""
    try:
        yield
    except DomainError as exc:
        raise refuse(exc.code, exc.message) from None
    except pydantic.ValidationError as exc:  # a command's own field constraints
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors(include_input=False))
        raise refuse(ValidationError.code, problems) from None
    except UNREACHABLE as exc:
        raise refuse("ServiceUnavailable", _OUT_OF_REACH.format(type(exc).__name__)) from None
    except OSError as exc:
        if exc.filename is not None:  # a file the user named
            raise refuse("InvalidInput",
                         f"cannot read {exc.filename}: {exc.strerror}") from None
        raise refuse("ServiceUnavailable", _OUT_OF_REACH.format(type(exc).__name__)) from None
