"""`compliance serve` and `compliance users add`: the review web app's commands, added to the
main parser by `add_parsers` (compliance/cli.py). Errors are ComplianceError, printed in one line."""
from __future__ import annotations

import argparse
import ipaddress
import sys

from compliance.errors import ComplianceError


def _home(args):
    from compliance.config import resolve_home

    return resolve_home(args.home)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args) -> int:
    import uvicorn

    from compliance.review.store import open_store
    from compliance.review.users import any_users
    from compliance.web.app import create_app

    home = _home(args)
    with open_store(home) as store:
        if not any_users(store):
            raise ComplianceError("no accounts yet: add one with `compliance users add NAME --role approver "
                                  "--password-stdin`")
    local = _loopback(args.host)
    if not local:
        print(f"compliance: warning: serving on {args.host} in plain HTTP: put a TLS proxy in front "
              "(session cookies are marked Secure and are only sent over HTTPS)", file=sys.stderr)
    app = create_app(home, policy=args.policy, secure_cookies=not local)
    print(f"review app for {home}: http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    # The app writes its own access log (compliance/web/access_log.py); uvicorn's would only repeat it.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0


def cmd_users_add(args) -> int:
    from compliance.review.store import open_store
    from compliance.review.users import add_user

    if not args.password_stdin:
        raise ComplianceError("give the password on standard input with --password-stdin (never as an argument)",
                              field="password")
    password = sys.stdin.readline().rstrip("\r\n")
    with open_store(_home(args)) as store:
        add_user(store, args.name, args.role, password)
    print(f"account {args.name}: {args.role}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    from compliance.review.users import ROLES

    p = sub.add_parser("serve", help="the IG review web app: queue, evidence, review, sign-off (docs/review.md)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default %(default)s; any other: put TLS in front)")
    p.add_argument("--port", type=int, default=8600, help="port (default %(default)s)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("users", help="accounts of the review web app")
    users = p.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    q = users.add_parser("add", help="add an account (its password read from standard input)")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--role", required=True, metavar="ROLE", help=f"one of {', '.join(ROLES)}")
    q.add_argument("--password-stdin", action="store_true", help="read the password from the first line of "
                                                                   "standard input")
    q.set_defaults(func=cmd_users_add)
