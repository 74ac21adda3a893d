"""Private PostgreSQL (with pgaudit) and MariaDB (with server_audit) instances for integration tests.

Each server is started from the installed binaries with its own data folder, a free port on
127.0.0.1 and its own socket, and is always stopped by the caller's fixture: the machine's shared
servers (5432, 3306) are never touched or reconfigured. As root, the servers run as the
`postgres` / `mysql` system user (initdb refuses root), and their data folder is a fresh folder that
user owns (the pytest tmp folder of root is closed to other users). A missing binary skips the
test on a user's machine and fails it in CI (CI=true), where .ci/run installs them.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from support import skip_or_fail

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen | None, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"server did not listen on {port} within {STARTUP_SECONDS} s: {_tail(log)}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class RunAs:
    """Who runs a server: the current user, or a system user when we are root."""
    user: str | None

    @classmethod
    def for_server(cls, system_user: str) -> "RunAs":
        if os.geteuid() != 0:
            return cls(None)
        try:
            pwd.getpwnam(system_user)
        except KeyError:
            skip_or_fail(f"running as root needs the system user {system_user!r} to own the server")
        return cls(system_user)

    def kwargs(self) -> dict:
        if self.user is None:
            return {}
        entry = pwd.getpwnam(self.user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [],
                "env": {**os.environ, "HOME": entry.pw_dir, "USER": self.user}}

    def data_folder(self, base: Path, name: str) -> Path:
        if self.user is None:
            folder = base / name
            folder.mkdir(parents=True)
            return folder
        folder = Path(tempfile.mkdtemp(prefix=f"compliance-test-{name}-"))
        entry = pwd.getpwnam(self.user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        return folder

    def run(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120,
                              **self.kwargs(), **kwargs)


def postgres_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    found = shutil.which("initdb") or (candidates[-1] if candidates else None)
    if not found:
        skip_or_fail("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    bindir = Path(found).resolve().parent  # a PATH entry may be a symlink into the versioned folder
    libdir = subprocess.run([str(bindir / "pg_config"), "--pkglibdir"], capture_output=True,
                            text=True).stdout.strip() if (bindir / "pg_config").exists() else ""
    if not libdir or not (Path(libdir) / "pgaudit.so").exists():
        skip_or_fail("pgaudit is not installed for this PostgreSQL (Debian: postgresql-15-pgaudit)")
    return bindir


@dataclass
class PostgresServer:
    bindir: Path
    datadir: Path
    port: int
    run_as: RunAs
    superuser: str

    def dsn(self, user: str | None = None, password: str | None = None, dbname: str = "postgres",
            application_name: str | None = None, host: str = "127.0.0.1") -> str:
        from psycopg.conninfo import make_conninfo

        params = {"host": host, "port": self.port, "user": user or self.superuser, "dbname": dbname,
                  "connect_timeout": 10}
        if password is not None:
            params["password"] = password
        if application_name is not None:
            params["application_name"] = application_name
        return make_conninfo(**params)

    @property
    def log_dir(self) -> Path:
        return self.datadir / "log"

    def log_files(self, suffix: str) -> list[Path]:
        return sorted(self.log_dir.glob(f"*{suffix}"))

    def stop(self) -> None:
        subprocess.run([str(self.bindir / "pg_ctl"), "stop", "-D", str(self.datadir), "-m", "fast", "-w"],
                       capture_output=True, timeout=60, **self.run_as.kwargs())

    def cleanup(self) -> None:
        shutil.rmtree(self.datadir, ignore_errors=True)


def start_postgres(base: Path, settings: dict[str, str]) -> PostgresServer:
    """initdb + pg_ctl start on a free port with pgaudit preloaded and `settings` in postgresql.conf.

    Local (socket) connections trust; TCP connections need a password (scram), so a wrong password
    is a real failed authentication.
    """
    bindir = postgres_bindir()
    run_as = RunAs.for_server("postgres")
    datadir = run_as.data_folder(base, "pgdata")
    superuser = run_as.user or pwd.getpwuid(os.geteuid()).pw_name
    run_as.run([str(bindir / "initdb"), "-D", str(datadir), "-U", superuser, "--auth-local=trust",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    port = free_port()
    conf = {"port": str(port), "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{datadir}'", "shared_preload_libraries": "'pgaudit'",
            "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
            "logging_collector": "on", "log_directory": "'log'", **settings}
    with (datadir / "postgresql.conf").open("a", encoding="utf-8") as handle:
        handle.write("\n# compliance integration test\n")
        handle.writelines(f"{k} = {v}\n" for k, v in conf.items())
    server = PostgresServer(bindir, datadir, port, run_as, superuser)
    startup_log = datadir / "startup.log"
    try:
        run_as.run([str(bindir / "pg_ctl"), "start", "-D", str(datadir), "-l", str(startup_log), "-w",
                    "-t", str(STARTUP_SECONDS)])
        _wait_for_port(port, None, startup_log)
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        server.stop()
        detail = getattr(exc, "stderr", "") or str(exc)
        server.cleanup()
        raise RuntimeError(f"private PostgreSQL did not start: {detail}\n{_tail(startup_log)}") from None
    return server


def mariadb_binaries() -> tuple[Path, Path]:
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/libexec")
    install = shutil.which("mariadb-install-db")
    if not server or not install:
        skip_or_fail("MariaDB server binaries (mariadbd, mariadb-install-db) are not installed")
    plugin_dirs = glob.glob("/usr/lib/mysql/plugin/server_audit.so") + glob.glob(
        "/usr/lib/*/mariadb*/plugin/server_audit.so")
    if not plugin_dirs:
        skip_or_fail("the MariaDB server_audit plugin is not installed")
    return Path(server), Path(install)


@dataclass
class MariaDBServer:
    datadir: Path
    port: int
    process: subprocess.Popen
    run_as: RunAs
    audit_log: Path
    error_log: Path = field(init=False)

    def __post_init__(self):
        self.error_log = self.datadir / "error.log"

    def connect(self, user: str = "root", password: str = "", database: str | None = None,
                bind_address: str | None = None):
        """A client connection over TCP; `bind_address` (e.g. 127.0.0.2) is the client's own address,
        which the server logs as the host."""
        import pymysql

        return pymysql.connect(host="127.0.0.1", port=self.port, user=user, password=password,
                               database=database, autocommit=True, connect_timeout=10,
                               bind_address=bind_address)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def cleanup(self) -> None:
        shutil.rmtree(self.datadir, ignore_errors=True)


def start_mariadb(base: Path, timezone: str) -> MariaDBServer:
    """mariadb-install-db + mariadbd on a free port with server_audit logging CONNECT, QUERY and
    TABLE events to a file in its data folder; local time (the log's) is `timezone`."""
    server_bin, install_bin = mariadb_binaries()
    run_as = RunAs.for_server("mysql")
    datadir = run_as.data_folder(base, "mariadb")
    user_args = [f"--user={run_as.user}"] if run_as.user else []
    # Run as root only to let mariadbd drop to `mysql` itself; install-db needs the same user.
    subprocess.run([str(install_bin), "--no-defaults", f"--datadir={datadir}", *user_args,
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True, text=True, timeout=180)
    port = free_port()
    audit_log = datadir / "server_audit.log"
    args = [str(server_bin), "--no-defaults", f"--datadir={datadir}", f"--port={port}",
            "--bind-address=127.0.0.1", f"--socket={datadir / 'mariadb.sock'}",
            f"--pid-file={datadir / 'mariadb.pid'}", f"--log-error={datadir / 'error.log'}",
            "--skip-name-resolve", "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
            "--plugin-load-add=server_audit", "--server-audit-logging=ON",
            "--server-audit-events=CONNECT,QUERY,TABLE", "--server-audit-output-type=file",
            f"--server-audit-file-path={audit_log}", *user_args]
    env = {**os.environ, "TZ": timezone}
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    server = MariaDBServer(datadir, port, process, run_as, audit_log)
    try:
        _wait_for_port(port, process, server.error_log)
    except RuntimeError:
        server.stop()
        server.cleanup()
        raise
    return server
