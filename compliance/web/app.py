"""The IG review web app (`compliance serve`, docs/review.md "The web app"): a month's queue, a
flag's evidence in plain language, review forms, bulk review, history and sign-off.

Server-rendered HTML and plain forms, no JavaScript. It reads published report versions and the
review store only, never the warehouse, so it serves while a DAG run holds the warehouse's lock.
Every page that shows flags is written to the app's own access log (`access_log.py`).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlencode

from compliance.errors import ComplianceError
from compliance.web import auth
from compliance.web.access_log import AccessLog

TEMPLATES = Path(__file__).parent / "templates"
STYLE = Path(__file__).parent / "review.css"
# What each role may do; a role also has every right of the roles before it.
MAY_REVIEW = ("reviewer", "approver")
MAY_SIGN_OFF = ("approver",)
DISPOSITION_LABELS = {
    "confirmed": "Confirmed: a violation",
    "justified": "Justified: allowed after all (give the reason)",
    "false_positive": "False positive: the rule was wrong",
    "data_error": "Data error: the source data was wrong",
    "duplicate": "Duplicate of another flag",
}
QUEUE_STATES = ("open", "decided", "all")
# A review form as first shown: nothing entered yet.
NOTHING_ENTERED = {"disposition": "", "note": "", "duplicate_of": ""}
# Rows a queue page lists; a bulk review of "every flag matching the filters" still takes them all.
QUEUE_ROWS = 500
# Text fields of a form, bounded: a note is a few sentences, not a document.
FIELD_CHARACTERS = 4000
SECURITY_HEADERS = {
    # No script may run at all, and forms post only to the app itself.
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    # Pages name people: no browser or proxy keeps a copy.
    "cache-control": "no-store",
}


class NotFound(ComplianceError):
    """A month or flag the app does not know: a 404 page."""


class _SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        from starlette.datastructures import MutableHeaders

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def utc_minute(recorded_at: str) -> str:
    """A stored UTC time ("2026-01-05T14:03:09Z") as a reader scans it: "2026-01-05 14:03 UTC"."""
    if isinstance(recorded_at, str) and len(recorded_at) >= 16 and recorded_at.endswith("Z") \
            and recorded_at[10] == "T":
        return f"{recorded_at[:10]} {recorded_at[11:16]} UTC"
    return recorded_at


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from compliance.reports.render import shown

    # Autoescaping on for every template whatever its name; every string shown is bounded and its
    # control and bidi characters made visible, as in the reports.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True,
                      finalize=lambda value: shown(value) if isinstance(value, str) and not
                      hasattr(value, "__html__") else value)
    env.filters["utc"] = utc_minute
    return env


def chosen(entered: dict) -> str:
    """The disposition a review form chose (a reopen is its own form, never an empty choice)."""
    if not entered["disposition"]:
        raise ComplianceError("choose a disposition", field="disposition")
    return entered["disposition"]


def _digest(flag_ids) -> str:
    return hashlib.sha256("\n".join(sorted(flag_ids)).encode()).hexdigest()


class ReviewApp:
    """The pages and acts; `create_app` wires them as routes. Each request opens the review store
    for itself (SQLite connections stay in their thread)."""

    def __init__(self, home: Path, timezone: str):
        from compliance.reports.categories import plain_name

        self.home, self.timezone = Path(home), timezone
        self.log = AccessLog(self.home)
        self.limiter = auth.LoginLimiter()
        self.env = _environment()
        self.env.globals.update(disposition_labels=DISPOSITION_LABELS, plain_name=plain_name,
                                csrf_field=auth.CSRF_FIELD)

    # --- plumbing ----------------------------------------------------------------------------------
    def store(self):
        from compliance.review.store import open_store

        return open_store(self.home)

    def page(self, request, template: str, status: int = 200, **context):
        from starlette.responses import HTMLResponse

        user = auth.session_user(request.session)
        body = self.env.get_template(template).render(
            user=user, role=context.pop("role", None), csrf=auth.csrf_token(request.session),
            flash=request.session.pop("flash", None), **context)
        return HTMLResponse(body, status_code=status)

    def refusal(self, request, status: int, message: str, role: str | None = None):
        return self.page(request, "error.html.j2", status=status, error=message, role=role)

    @staticmethod
    def client(request) -> str:
        return request.client.host if request.client else ""

    def account(self, request) -> tuple[str, str] | None:
        """(name, role) of the session's account, read from the store on every request, so an
        account's role is what the store says now."""
        from compliance.review.users import role_of

        name = auth.session_user(request.session)
        if name is None:
            return None
        with self.store() as store:
            role = role_of(store, name)
        return (name, role) if role else None

    def record(self, request, name: str, **event) -> None:
        self.log.record(account=name, client=self.client(request),
                        session_id=request.session.get("session_id", ""), **event)

    def known_month(self, month: str) -> str:
        from compliance.months import parse_month
        from compliance.review.evidence import published_months

        try:
            parse_month(month)
        except ComplianceError as exc:
            raise NotFound(str(exc)) from None
        if month not in published_months(self.home):
            raise NotFound(f"no published report version for {month}")
        return month

    # --- log-on ------------------------------------------------------------------------------------
    def login_form(self, request, form):
        return self.page(request, "login.html.j2", name="", error=None)

    def login(self, request, form):
        from compliance.review.users import authenticate

        name, password = str(form.get("name") or "").strip(), str(form.get("password") or "")
        client = self.client(request)
        if self.limiter.blocked(name, client):
            self.log.record(account=name, client=client, action="login_failed", source_action="login_refused",
                            outcome="failure")
            return self.page(request, "login.html.j2", status=429, name=name,
                             error="Too many failed log-ons for this name: wait 15 minutes and try again.")
        with self.store() as store:
            role = authenticate(store, name, password) if name and password else None
        if role is None:
            self.limiter.failed(name, client)
            self.log.record(account=name, client=client, action="login_failed", source_action="login",
                            outcome="failure")
            return self.page(request, "login.html.j2", status=401, name=name,
                             error="Wrong name or password.")
        self.limiter.succeeded(name, client)
        auth.start_session(request.session, name)
        self.record(request, name, action="login", source_action="login")
        return self.redirect("/")

    def logout(self, request, form):
        name = auth.session_user(request.session)
        if name:
            self.record(request, name, action="logout", source_action="logout")
        request.session.clear()
        return self.redirect("/login")

    @staticmethod
    def redirect(url: str):
        from starlette.responses import RedirectResponse

        return RedirectResponse(url, status_code=303)

    # --- pages -------------------------------------------------------------------------------------
    def months(self, request, form, name, role):
        from compliance.review.evidence import published_months
        from compliance.review.state import month_review

        with self.store() as store:
            months = [{"month": m, **month_review(store, self.home, m)}
                      for m in reversed(published_months(self.home))]
        return self.page(request, "months.html.j2", role=role, months=months)

    def _queue(self, month: str, filters: dict) -> tuple[list[dict], dict]:
        """The month's queue rows with what they are about, those matching `filters`, and the
        choices each filter offers."""
        from compliance.review.evidence import month_flag_facts
        from compliance.review.queue import month_queue

        facts = month_flag_facts(self.home, month)
        with self.store() as store:
            rows = [{**row, **facts.get(row["flag_id"], {}), "day": (facts.get(row["flag_id"], {})
                                                                     .get("event_local") or "")[:10]}
                    for row in month_queue(store, self.home, month)]
        choices = {"rule": sorted({r["rule_id"] for r in rows}),
                   "day": sorted({r["day"] for r in rows if r["day"]}),
                   "account": sorted({r["account_id"] for r in rows if r.get("account_id")})}

        def matches(row) -> bool:
            state = filters["state"]
            return ((not filters["rule"] or row["rule_id"] == filters["rule"])
                    and (not filters["day"] or row["day"] == filters["day"])
                    and (not filters["account"] or row.get("account_id") == filters["account"])
                    and (state == "all" or (state == "open") == (row["disposition"] == "")))

        return [r for r in rows if matches(r)], choices

    @staticmethod
    def filters(values) -> dict:
        state = str(values.get("state") or "open")
        return {"rule": str(values.get("rule") or ""), "day": str(values.get("day") or ""),
                "account": str(values.get("account") or ""),
                "state": state if state in QUEUE_STATES else "open"}

    def queue(self, request, form, name, role, *, month=None, error=None, status=200, entered=None):
        month = month or self.known_month(request.path_params["month"])
        filters = self.filters(form if form is not None else request.query_params)
        matching, choices = self._queue(month, filters)
        if error is None:
            self.record(request, name, action="search", source_action="list_queue",
                        search_terms=f"month={month} " + " ".join(f"{k}={v}" for k, v in filters.items() if v),
                        result_count=len(matching))
        return self.page(request, "queue.html.j2", status=status, role=role, month=month, filters=filters,
                         timezone=self.timezone,
                         choices=choices, rows=matching[:QUEUE_ROWS], matching=len(matching),
                         digest=_digest(r["flag_id"] for r in matching), may_review=role in MAY_REVIEW,
                         error=error, entered=entered or NOTHING_ENTERED, states=QUEUE_STATES)

    def bulk_review(self, request, form, name, role):
        from compliance.review.queue import record

        month = self.known_month(request.path_params["month"])
        if role not in MAY_REVIEW:
            return self.forbidden(request, name, role, "a viewer cannot record decisions", "bulk_review")
        entered = {k: str(form.get(k) or "")[:FIELD_CHARACTERS] for k in NOTHING_ENTERED}
        if form.get("scope") == "matching":
            matching, _ = self._queue(month, self.filters(form))
            flag_ids = [r["flag_id"] for r in matching]
            if _digest(flag_ids) != form.get("matching_digest"):
                self.record(request, name, action="insert", source_action="bulk_review", outcome="failure")
                return self.queue(request, form, name, role, month=month, status=409, entered=entered,
                                  error="The queue changed since you opened it: check the flags again.")
        else:
            flag_ids = [str(f) for f in form.getlist("flag_id")]
        try:
            if not flag_ids:
                raise ComplianceError("tick at least one flag, or choose every flag matching the filters")
            with self.store() as store:
                decisions = record(store, self.home, flag_ids, disposition=chosen(entered),
                                   note=entered["note"], reviewer=name,
                                   duplicate_of=entered["duplicate_of"].strip() or None)
        except ComplianceError as exc:
            self.record(request, name, action="insert", source_action="bulk_review", outcome="failure",
                        flag_ids=tuple(flag_ids))
            return self.queue(request, form, name, role, month=month, status=400, error=str(exc), entered=entered)
        self._record_decisions(request, name, "bulk_review", decisions)
        request.session["flash"] = (f"{len(decisions)} flags: {decisions[0].disposition.replace('_', ' ')}, "
                                    f"by {name}.")
        query = urlencode({k: v for k, v in self.filters(form).items() if v})
        return self.redirect(f"/months/{month}?{query}")

    def _record_decisions(self, request, name: str, source_action: str, decisions) -> None:
        """One access row per flag decided, naming the person the flag is about."""
        from compliance.review.evidence import month_flag_facts

        facts = {}
        for month in {d.month for d in decisions}:
            facts.update(month_flag_facts(self.home, month))
        for decision in decisions:
            self.record(request, name, action="insert", source_action=source_action,
                        person_id=facts.get(decision.flag_id, {}).get("person_id"),
                        flag_ids=(decision.flag_id,), result_count=1)

    def forbidden(self, request, name, role, message: str, source_action: str, flag_ids=()):
        self.record(request, name, action="insert", source_action=source_action, outcome="failure",
                    flag_ids=tuple(flag_ids))
        return self.refusal(request, 403, f"Not allowed: {message}.", role)

    def flag(self, request, form, name, role, *, error=None, status=200, entered=None, logged_as=False):
        from compliance.review.evidence import flag_detail
        from compliance.review.queue import month_queue

        flag_id = request.path_params["flag_id"]
        detail = flag_detail(self.home, flag_id, self.timezone)
        with self.store() as store:
            history = store.history(flag_id)
            if detail is None and not history:
                raise NotFound(f"unknown flag id {flag_id!r}: not in any published report version")
            # A flag the latest version no longer raises is shown by its decisions alone.
            month = detail["month"] if detail else history[-1].month
            queue = month_queue(store, self.home, month)
        standing = next(row for row in queue if row["flag_id"] == flag_id)
        others = [row["flag_id"] for row in queue
                  if row["disposition"] == "" and row["still_raised"] and row["flag_id"] != flag_id]
        if not logged_as:
            self.record(request, name, action="view", source_action="open_flag",
                        person_id=detail["person_id"] if detail else None, flag_ids=(flag_id,), result_count=1)
        return self.page(request, "flag.html.j2", status=status, role=role, flag_id=flag_id, month=month,
                         flag=detail, standing=standing, history=history,
                         next_open=next((f for f in others if f > flag_id), others[0] if others else None),
                         may_review=role in MAY_REVIEW and detail is not None, error=error,
                         entered=entered or NOTHING_ENTERED)

    def review_flag(self, request, form, name, role):
        from compliance.review.queue import record

        flag_id = request.path_params["flag_id"]
        reopen = request.url.path.endswith("/reopen")
        act = "reopen" if reopen else "review"
        if role not in MAY_REVIEW:
            return self.forbidden(request, name, role, "a viewer cannot record decisions", act, [flag_id])
        entered = {k: str(form.get(k) or "")[:FIELD_CHARACTERS] for k in NOTHING_ENTERED}
        try:
            with self.store() as store:
                decisions = record(store, self.home, [flag_id], disposition=None if reopen else chosen(entered),
                                   note=entered["note"],
                                   reviewer=name, duplicate_of=None if reopen else
                                   (entered["duplicate_of"].strip() or None))
        except ComplianceError as exc:
            self.record(request, name, action="insert", source_action=act, outcome="failure", flag_ids=(flag_id,))
            return self.flag(request, form, name, role, error=str(exc), status=400, entered=entered,
                             logged_as=True)
        self._record_decisions(request, name, act, decisions)
        request.session["flash"] = ("Reopened: the flag is back in the queue." if reopen
                                    else f"Recorded: {decisions[0].disposition.replace('_', ' ')}.")
        return self.redirect(f"/flags/{flag_id}")

    def signoff(self, request, form, name, role, *, error=None, status=200, note=""):
        from compliance.review.state import month_review

        month = self.known_month(request.path_params["month"])
        with self.store() as store:
            state = month_review(store, self.home, month)
        return self.page(request, "signoff.html.j2", status=status, role=role, month=month, state=state,
                         may_sign_off=role in MAY_SIGN_OFF, error=error, note=note)

    def sign_off(self, request, form, name, role):
        from compliance.review.signoff import sign_off

        month = self.known_month(request.path_params["month"])
        if role not in MAY_SIGN_OFF:
            self.record(request, name, action="insert", source_action="sign_off", outcome="failure",
                        search_terms=f"month={month}")
            return self.refusal(request, 403, "Not allowed: only an approver signs a month off.", role)
        note = str(form.get("note") or "")[:FIELD_CHARACTERS]
        try:
            with self.store() as store:
                done = sign_off(store, self.home, month, by=name, note=note,
                                version=str(form.get("version") or "") or None)
        except ComplianceError as exc:
            self.record(request, name, action="insert", source_action="sign_off", outcome="failure",
                        search_terms=f"month={month}")
            return self.signoff(request, form, name, role, error=str(exc), status=400, note=note)
        self.record(request, name, action="insert", source_action="sign_off", search_terms=f"month={month}")
        request.session["flash"] = f"{month} {done.version} signed off by {name}."
        return self.redirect(f"/months/{month}/signoff")


def create_app(home: Path, *, policy: Path | None = None, secure_cookies: bool = False):
    """The review app for `home`: Starlette, sessions signed with the home's key (cookies marked
    Secure with `secure_cookies`, for an app behind TLS); local times in the policy pack's zone."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import Response
    from starlette.routing import Route

    from compliance.policy.pack import load_pack

    app = ReviewApp(home, load_pack(policy).timezone)

    def endpoint(handler, *, signed_in: bool = True):
        """A route: the form read, the CSRF token of every POST checked and, for `signed_in`
        routes, the account; then the handler, in a worker thread (it reads files and the store)."""
        async def run(request):
            form = await request.form(max_files=0, max_fields=QUEUE_ROWS + 50) \
                if request.method == "POST" else None

            def checked():
                account = app.account(request) if signed_in else None
                if request.method == "POST":
                    if signed_in and account is None:
                        return app.refusal(request, 401, "Not signed in: log on first.")
                    if not auth.csrf_valid(request.session, form.get(auth.CSRF_FIELD)):
                        return app.refusal(request, 403, "The form has expired or did not come from this "
                                                         "app: open the page again and resend it.")
                if not signed_in:
                    return handler(request, form)
                if account is None:
                    return app.redirect("/login")
                try:
                    return handler(request, form, *account)
                except NotFound as exc:
                    return app.refusal(request, 404, str(exc), account[1])

            return await run_in_threadpool(checked)

        return run

    async def style(request):
        return Response(STYLE.read_bytes(), media_type="text/css")

    routes = [
        Route("/login", endpoint(app.login_form, signed_in=False), methods=["GET"]),
        Route("/login", endpoint(app.login, signed_in=False), methods=["POST"]),
        Route("/logout", endpoint(app.logout, signed_in=False), methods=["POST"]),
        Route("/", endpoint(app.months), methods=["GET"]),
        Route("/months/{month}", endpoint(app.queue), methods=["GET"]),
        Route("/months/{month}/review", endpoint(app.bulk_review), methods=["POST"]),
        Route("/months/{month}/signoff", endpoint(app.signoff), methods=["GET"]),
        Route("/months/{month}/signoff", endpoint(app.sign_off), methods=["POST"]),
        Route("/flags/{flag_id}", endpoint(app.flag), methods=["GET"]),
        Route("/flags/{flag_id}/review", endpoint(app.review_flag), methods=["POST"]),
        Route("/flags/{flag_id}/reopen", endpoint(app.review_flag), methods=["POST"]),
        Route("/review.css", style, methods=["GET"]),
    ]
    middleware = [Middleware(_SecurityHeaders),
                  Middleware(SessionMiddleware, secret_key=auth.session_key(home), session_cookie="review_session",
                             max_age=auth.SESSION_SECONDS, same_site="strict", https_only=secure_cookies)]
    return Starlette(routes=routes, middleware=middleware)
