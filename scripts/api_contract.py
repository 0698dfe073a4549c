"""Check that the API keeps its contract: schemathesis against `/api/schema/` on a live server.

    .venv/bin/python scripts/api_contract.py [--max-time SECONDS] [--port PORT]

On a throwaway database (with DATABASE_URL on PostgreSQL, a database of its own beside it named
`<name>_api`, dropped and created again; otherwise a SQLite file in a temporary folder), this
migrates, loads the demo data with its users, starts gunicorn with DEBUG off and runs
schemathesis with every check as an Admin and as a Manager (the role that may change the least
through the API, so most writes are refused with 403). It fails on a server error, a response
outside the schema, an undocumented status code or content type. Tasks go to an embedded broker
in the temporary folder that no worker reads: nothing needs Redis.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USERS = ("admin", "manager")

# Operations left out, each for a reason schemathesis cannot know.
EXCLUDED_PATHS = [
    # Revoking the token a run authenticates with would leave the rest of the run at 401.
    "/api/v1/auth/token/revoke/",
    # Authenticates with HTTP Basic (a username and password), not with the token; its 401 and
    # 429 are documented and covered by tests/test_login_safeguards.py.
    "/api/v1/auth/token/",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def throwaway_database(tmp: Path) -> str:
    """A URL of an empty database for this run."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp / 'api.sqlite3'}"
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_api"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def tokens(env: dict) -> dict[str, str]:
    code = (
        "import json; from django.contrib.auth import get_user_model; "
        "from knox.models import AuthToken; U = get_user_model(); "
        f"print(json.dumps({{n: AuthToken.objects.create(U.objects.get(username=n))[1] "
        f"for n in {list(USERS)!r}}}))"
    )
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def wait_until_up(base: str, token: str, server: subprocess.Popen, schema: Path) -> None:
    request = urllib.request.Request(
        f"{base}/api/schema/?format=json", headers={"Authorization": f"Token {token}"}
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before it answered")
        try:
            # The first schema a worker builds takes a few seconds.
            with urllib.request.urlopen(request, timeout=60) as response:
                schema.write_bytes(response.read())
                return
        except (urllib.error.URLError, OSError):
            time.sleep(1)
    raise SystemExit("gunicorn did not answer within two minutes")


def run_schemathesis(base: str, schema: Path, token: str, user: str, args, tmp: Path) -> int:
    command = [
        str(BIN / "schemathesis"),
        "run",
        str(schema),
        "--url",
        base,
        "--checks",
        "all",
        "--header",
        f"Authorization: Token {token}",
        "--max-time",
        str(args.max_time),
        "--max-examples",
        str(args.max_examples),
        "--request-timeout",
        "30",
        # One worker: with threads, CPython 3.11 can fail formatting a traceback ("AST
        # constructor recursion depth mismatch") and schemathesis reports that as an error.
        "--workers",
        "1",
        "--seed",
        str(args.seed),
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-junit-path",
        str(args.report_dir / f"schemathesis-{user}.xml"),
        "--output-truncate",
        "false",
    ]
    for path in EXCLUDED_PATHS:
        command += ["--exclude-path", path]
    # A request the schema allows can still break a rule of the service (a status move not
    # allowed from the current status, the id of a row that does not exist, a site of another
    # CMO): that 400 is by design, and OpenAPI cannot say it, so this check cannot hold.
    command += ["--exclude-checks", "positive_data_acceptance"]
    print(f"== schemathesis as {user}", flush=True)
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "api_contract_hooks",
        "PYTHONPATH": str(Path(__file__).resolve().parent),
    }
    return subprocess.run(command, cwd=tmp, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-time", type=int, default=90, help="seconds per user")
    parser.add_argument("--max-examples", type=int, default=30, help="per operation and phase")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--report-dir", type=Path, default=ROOT / "var" / "api-contract")
    args = parser.parse_args()
    # Stopped from outside, still stop the server (the `finally` below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.report_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="cmoselect-api-") as name:
        tmp = Path(name)
        env = {
            **os.environ,
            "DATABASE_URL": throwaway_database(tmp),
            "DEBUG": "false",
            "SECRET_KEY": "api-contract-check",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "CELERY_BROKER_URL": "filesystem://",
            "BROKER_DIR": str(tmp / "broker"),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "MEDIA_ROOT": str(tmp / "media"),
            "LOG_LEVEL": "WARNING",
        }
        print("== database, demo data and tokens", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        manage(env, "seed_demo", "--with-users")
        user_tokens = tokens(env)

        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        server_log = (args.report_dir / "server.log").open("w")
        print(f"== gunicorn on {base}, its log in {server_log.name}", flush=True)
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "cmoselect.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "3",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            # Every refused request logs a line: they go to a file beside the reports.
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        try:
            schema = tmp / "schema.json"
            wait_until_up(base, user_tokens[USERS[0]], server, schema)
            failed = [
                user
                for user in USERS
                if run_schemathesis(base, schema, user_tokens[user], user, args, tmp)
            ]
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            server_log.close()
    if failed:
        print(
            f"The API broke its contract as: {', '.join(failed)} (reports and the server's log "
            f"in {args.report_dir})",
            file=sys.stderr,
        )
        return 1
    print("The API kept its contract.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
