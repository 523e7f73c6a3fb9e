"""A PostgreSQL 15 cluster of the project's own, from the machine's Debian packages."""

from __future__ import annotations

import os
import pwd
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from services.devstack import DevStackError
from services.devstack.processes import is_alive, port_open, read_pid, run
from services.devstack.status import ComponentStatus, State
from services.settings import Settings

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SERVICE_USER = "postgres"
SUPERUSER = "postgres"
START_TIMEOUT_SECONDS = 60

Say = Callable[[str], None]


@dataclass(frozen=True)
class Login:
    """The role, password and database the service logs in with."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_url(cls, url: str) -> Login:
        """Split `postgresql://user:password@host:port/database`."""
        parts = urlsplit(url)
        if not (parts.hostname and parts.username and parts.password):
            raise DevStackError("postgres: IAMLOG_DATABASE_URL needs a user, a password and a host")
        return cls(
            host=parts.hostname,
            port=parts.port or 5432,
            user=unquote(parts.username),
            password=unquote(parts.password),
            database=parts.path.lstrip("/") or unquote(parts.username),
        )


@dataclass(frozen=True)
class PostgresCluster:
    """The dev cluster: its files live where the user running postgres may own them."""

    login: Login
    base_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> PostgresCluster:
        """The cluster `settings.database_url` points at."""
        login = Login.from_url(settings.database_url.get_secret_value())
        if _as_root():
            # initdb and postgres refuse root, and `postgres` cannot reach into /root: keep
            # the cluster under its home, one directory per port.
            base = Path(pwd.getpwnam(SERVICE_USER).pw_dir) / f"iamlog-{login.port}"
        else:
            base = settings.state_dir / "postgres"
        return cls(login=login, base_dir=base)

    @property
    def data_dir(self) -> Path:
        """PGDATA."""
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        """The server log (stderr of the postmaster)."""
        return self.base_dir / "postgresql.log"

    @property
    def address(self) -> str:
        """`host:port` of the TCP listener."""
        return f"{self.login.host}:{self.login.port}"

    def status(self) -> ComponentStatus:
        """Whether our postmaster runs."""
        pid = self._running_pid()
        if pid is not None:
            state = State.RUNNING
        elif port_open(self.login.host, self.login.port):
            state = State.EXTERNAL
        else:
            state = State.STOPPED
        return ComponentStatus(
            name="postgres",
            state=state,
            address=self.address,
            data_dir=self.data_dir,
            log_file=self.log_file,
            pid=pid,
        )

    def up(self, say: Say) -> ComponentStatus:
        """Create and start the cluster as needed; make sure the role and database exist."""
        current = self.status()
        if current.state is State.EXTERNAL:
            say(f"postgres: {self.address} is taken by a server iamlog did not start; using it")
            return current
        if current.state is State.STOPPED:
            self._init(say)
            self._write_config()
            self._start(say)
        self._ensure_login()
        return self.status()

    def down(self) -> bool:
        """Stop our postmaster (fast shutdown); return whether one was running."""
        if self._running_pid() is None:
            return False
        self._pg_ctl("stop", "-m", "fast", "-w", what="stopping Postgres")
        return True

    def _running_pid(self) -> int | None:
        # postmaster.pid survives a crash or reboot; only a live postgres on our data dir counts.
        pid = read_pid(self.data_dir / "postmaster.pid")
        if pid is None or not is_alive(pid, str(self.data_dir)):
            return None
        return pid

    def _init(self, say: Say) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._make_base_dir()
        say(f"postgres: creating cluster in {self.data_dir}")
        self._as_owner(
            [
                str(PG_BIN / "initdb"),
                f"--pgdata={self.data_dir}",
                f"--username={SUPERUSER}",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                # Local sockets live in our own 0700 directory; TCP needs the password.
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ],
            what="creating the Postgres cluster (initdb)",
        )

    def _make_base_dir(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o700)
        if _as_root():
            entry = pwd.getpwnam(SERVICE_USER)
            os.chown(self.base_dir, entry.pw_uid, entry.pw_gid)

    def _write_config(self) -> None:
        settings = {
            "listen_addresses": f"'{self.login.host}'",
            "port": str(self.login.port),
            "unix_socket_directories": f"'{self.base_dir}'",
            "max_connections": "200",
            "shared_buffers": "256MB",
            "fsync": "on",
            "log_min_duration_statement": "-1",
            "log_line_prefix": "'%m [%p] %q%u@%d '",
        }
        conf = "".join(f"{key} = {value}\n" for key, value in settings.items())
        (self.data_dir / "iamlog.conf").write_text(
            "# Written by `iamlog dev up` on every start.\n" + conf
        )
        main_conf = self.data_dir / "postgresql.conf"
        include = "include_if_exists = 'iamlog.conf'\n"
        if include not in main_conf.read_text():
            with main_conf.open("a") as out:
                out.write(include)
        if _as_root():
            entry = pwd.getpwnam(SERVICE_USER)
            os.chown(self.data_dir / "iamlog.conf", entry.pw_uid, entry.pw_gid)

    def _start(self, say: Say) -> None:
        self._remove_stale_locks()
        say(f"postgres: starting on {self.address} (log {self.log_file})")
        self._pg_ctl(
            "start",
            "-w",
            "-t",
            str(START_TIMEOUT_SECONDS),
            "-l",
            str(self.log_file),
            what=f"starting Postgres (see {self.log_file})",
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not port_open(self.login.host, self.login.port):
            if time.monotonic() > deadline:
                raise DevStackError(
                    f"postgres: nothing listens on {self.address}; see {self.log_file}"
                )
            time.sleep(0.2)

    def _remove_stale_locks(self) -> None:
        # Called only when no postgres runs on our data dir: after a reboot the recorded pid may
        # belong to another process, and postgres would refuse to start.
        for lock in (
            self.data_dir / "postmaster.pid",
            self.base_dir / f".s.PGSQL.{self.login.port}.lock",
        ):
            lock.unlink(missing_ok=True)

    def _ensure_login(self) -> None:
        # CREATEDB: integration tests give each test a database of its own.
        # psql takes no bind parameters: names and values are quoted by _identifier/_literal.
        role, password = _identifier(self.login.user), _literal(self.login.password)
        name = _literal(self.login.user)
        self._psql(
            "DO $$BEGIN\n"
            f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN\n"
            f"    CREATE ROLE {role} LOGIN CREATEDB PASSWORD {password};\n"
            "  ELSE\n"
            f"    ALTER ROLE {role} LOGIN CREATEDB PASSWORD {password};\n"
            "  END IF;\n"
            "END$$;\n",
            what="creating the Postgres role",
        )
        exists = self._psql(
            f"SELECT 1 FROM pg_database WHERE datname = {_literal(self.login.database)};\n",  # noqa: S608
            what="looking up the Postgres database",
        )
        if not exists.strip():
            self._psql(
                f"CREATE DATABASE {_identifier(self.login.database)} OWNER {role};\n",
                what="creating the Postgres database",
            )

    def _psql(self, sql: str, *, what: str) -> str:
        # SQL goes through stdin so the password never shows in a process listing.
        return self._as_owner(
            [
                str(PG_BIN / "psql"),
                "-X",
                "-q",
                "-tA",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.base_dir),
                "-p",
                str(self.login.port),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
            ],
            what=what,
            stdin=sql,
        )

    def _pg_ctl(self, *args: str, what: str) -> str:
        return self._as_owner([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), *args], what=what)

    def _as_owner(self, argv: list[str], *, what: str, stdin: str | None = None) -> str:
        if not PG_BIN.is_dir():
            raise DevStackError(f"postgres: PostgreSQL 15 is not installed ({PG_BIN} is missing)")
        user = SERVICE_USER if _as_root() else None
        # The owner may not be able to enter the caller's working directory.
        return run(argv, what=what, user=user, cwd=self.base_dir, stdin=stdin)


def _as_root() -> bool:
    return os.geteuid() == 0


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
