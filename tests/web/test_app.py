"""The review web app (docs/review.md, "The web app") through Starlette's TestClient: log-on,
sessions, CSRF, roles, the rate limit, bad input, escaping, bulk review, sign-off, the access log
(ingested by the real ingest code) and serving while another process holds the warehouse's lock."""
from __future__ import annotations

import argparse
import csv
import html
import io
import re
import subprocess
import sys
import textwrap

import pytest
from web_helpers import CSRF, FLAG_COUNT, MONTH, PASSWORDS, flag_id

from compliance.errors import ComplianceError
from compliance.review.store import open_store
from compliance.web.access_log import landing_dir

ERROR = re.compile(r'<p class="error" role="alert">([^<]*)</p>')


def client_for(home, **options):
    from starlette.testclient import TestClient

    from compliance.web.app import create_app

    return TestClient(create_app(home, **options))


def token(client, url: str = "/login") -> str:
    return CSRF.search(client.get(url).text).group(1)


def logged_on(home, name: str, **options):
    client = client_for(home, **options)
    response = client.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf_token": token(client)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def decisions(home) -> list:
    with open_store(home) as store:
        return [d for i in range(FLAG_COUNT) for d in store.history(flag_id(i))]


def access_rows(home) -> list[dict]:
    rows = []
    for path in sorted((landing_dir(home) / "access_events").glob("review_app-*.csv")):
        rows += list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    return rows


def errors(response) -> list[str]:
    return [html.unescape(text) for text in ERROR.findall(response.text)]


def test_pages_need_a_log_on_and_a_session_cookie_is_httponly_strict_and_signed(review_home):
    client = client_for(review_home)
    assert client.get("/months/2016-03", follow_redirects=False).headers["location"] == "/login"
    page = client.get("/login")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    assert oct((review_home / "web-session.key").stat().st_mode & 0o777) == "0o600"
    done = client.post("/login", data={"name": "rita", "password": PASSWORDS["rita"],
                                       "csrf_token": CSRF.search(page.text).group(1)}, follow_redirects=False)
    assert done.status_code == 303
    queue = client.get("/months/2016-03")
    assert queue.status_code == 200 and "rita · reviewer" in queue.text
    # A cookie signed with another key is no session.
    other = client_for(review_home)
    other.cookies.set("review_session", client.cookies["review_session"][:-4] + "AAAA")
    assert other.get("/", follow_redirects=False).headers["location"] == "/login"
    behind_tls = client_for(review_home, secure_cookies=True).get("/login")
    assert "; secure" in behind_tls.headers["set-cookie"].lower()


def test_a_session_key_others_can_read_is_refused(review_home):
    from compliance.web.auth import session_key

    session_key(review_home)
    (review_home / "web-session.key").chmod(0o644)
    with pytest.raises(ComplianceError, match="readable by others"):
        session_key(review_home)


def test_a_post_without_a_session_or_a_valid_csrf_token_is_refused_and_writes_nothing(review_home):
    form = {"disposition": "confirmed", "note": "n"}
    anonymous = client_for(review_home)
    assert anonymous.post(f"/flags/{flag_id(1)}/review", data=form).status_code == 401
    assert anonymous.post("/login", data={"name": "rita", "password": PASSWORDS["rita"]}).status_code == 403
    client = logged_on(review_home, "rita")
    rows_before = len(access_rows(review_home))
    assert client.post(f"/flags/{flag_id(1)}/review", data=form).status_code == 403
    assert client.post(f"/flags/{flag_id(1)}/review", data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post(f"/months/{MONTH}/review", data={**form, "flag_id": flag_id(1)}).status_code == 403
    # A token of another session does not do either.
    stranger = token(client_for(review_home))
    assert client.post(f"/flags/{flag_id(1)}/review", data={**form, "csrf_token": stranger}).status_code == 403
    assert decisions(review_home) == []
    assert len(access_rows(review_home)) == rows_before


def test_a_viewer_sees_no_forms_and_cannot_write_a_reviewer_cannot_sign_off(review_home):
    viewer = logged_on(review_home, "vera")
    page = viewer.get(f"/flags/{flag_id(1)}")
    assert page.status_code == 200 and "Why flagged:" in page.text
    assert 'method="post" action="/flags' not in page.text and "Record a decision" not in page.text
    assert 'name="flag_id"' not in viewer.get(f"/months/{MONTH}").text
    csrf = token(viewer, f"/flags/{flag_id(1)}")
    refused = viewer.post(f"/flags/{flag_id(1)}/review", data={"disposition": "confirmed", "csrf_token": csrf})
    assert refused.status_code == 403
    assert viewer.post(f"/months/{MONTH}/review", data={"disposition": "confirmed", "flag_id": flag_id(1),
                                                        "csrf_token": csrf}).status_code == 403
    assert decisions(review_home) == []
    reviewer = logged_on(review_home, "rita")
    csrf = token(reviewer, f"/months/{MONTH}/signoff")
    assert "Sign off 2016-03" not in reviewer.get(f"/months/{MONTH}/signoff").text
    assert reviewer.post(f"/months/{MONTH}/signoff", data={"note": "", "csrf_token": csrf}).status_code == 403


@pytest.mark.parametrize(("form", "message"), [
    ({"disposition": "wrong"}, "unknown disposition 'wrong'"),
    ({"disposition": ""}, "choose a disposition"),
    ({"disposition": "duplicate"}, "names the flag it duplicates"),
    ({"disposition": "duplicate", "duplicate_of": "nope"}, "unknown flag id 'nope'"),
    ({"disposition": "justified", "note": "  "}, "a justified disposition needs a note"),
])
def test_bad_input_shows_one_line_and_writes_nothing(review_home, form, message):
    client = logged_on(review_home, "rita")
    csrf = token(client, f"/flags/{flag_id(1)}")
    response = client.post(f"/flags/{flag_id(1)}/review", data={**form, "csrf_token": csrf})
    assert response.status_code == 400
    assert len(errors(response)) == 1 and message in errors(response)[0]
    bulk = client.post(f"/months/{MONTH}/review", data={**form, "flag_id": [flag_id(1), flag_id(3)],
                                                        "scope": "ticked", "csrf_token": csrf})
    assert bulk.status_code == 400 and message in errors(bulk)[0]
    assert decisions(review_home) == []


def test_unknown_flags_and_months_are_refused(review_home):
    client = logged_on(review_home, "rita")
    missing = client.get("/flags/nope")
    assert missing.status_code == 404 and "unknown flag id 'nope'" in errors(missing)[0]
    csrf = token(client, f"/months/{MONTH}")
    posted = client.post("/flags/nope/review", data={"disposition": "confirmed", "csrf_token": csrf})
    assert posted.status_code == 404
    ticked = client.post(f"/months/{MONTH}/review", data={"disposition": "confirmed", "scope": "ticked",
                                                          "flag_id": [flag_id(1), "nope"], "csrf_token": csrf})
    assert ticked.status_code == 400 and "unknown flag id 'nope'" in errors(ticked)[0]
    assert client.get("/months/2099-01").status_code == 404
    assert client.get("/months/March").status_code == 404
    assert decisions(review_home) == []


def test_a_note_with_markup_is_shown_as_text_everywhere(review_home):
    client = logged_on(review_home, "rita")
    note = '<script>alert("x")</script><b>bold</b>'
    csrf = token(client, f"/flags/{flag_id(1)}")
    done = client.post(f"/flags/{flag_id(1)}/review", data={"disposition": "justified", "note": note,
                                                            "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    [decision] = decisions(review_home)
    assert decision.note == note and decision.reviewer == "rita"
    for page in (client.get(f"/flags/{flag_id(1)}").text, client.get(f"/months/{MONTH}?state=all").text):
        assert "<script>" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in client.get(f"/flags/{flag_id(1)}").text
    # A name typed at log-on is the caller's text too.
    anonymous = client_for(review_home)
    shown = anonymous.post("/login", data={"name": "<i>x</i>", "password": "p", "csrf_token": token(anonymous)})
    assert shown.status_code == 401 and "<i>x</i>" not in shown.text and "&lt;i&gt;x&lt;/i&gt;" in shown.text


def test_the_flag_page_shows_the_evidence_as_the_ig_report_does(review_home):
    from compliance.reports import versions

    client = logged_on(review_home, "vera")
    page = client.get(f"/flags/{flag_id(0)}").text
    # The same plain-language facts as the IG report of the version: local time with its zone, the
    # charges' table, the source by its landing-relative name.
    report = (versions.resolve(review_home, MONTH) / "ig-report-2016-03.html").read_text(encoding="utf-8")
    for text in ("Why flagged:", "no qualifying conviction", "EO 5-16 § 1", "2016-03-01 12:00 EST",
                 "18 Pa.C.S. § 3921, Theft", "a misdemeanor does not qualify", "detainers_2016-03.csv, line 2"):
        assert text in page and text in report, text
    assert "person P0" in page and "v1" in page


def test_review_one_by_one_in_bulk_and_reopen_keeps_the_history(review_home):
    client = logged_on(review_home, "rita")
    csrf = token(client, f"/months/{MONTH}")
    for index in (0, 2):
        done = client.post(f"/flags/{flag_id(index)}/review", data={"disposition": "confirmed", "note": "",
                                                                    "csrf_token": csrf}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/flags/{flag_id(index)}"
    assert "Recorded: confirmed." in client.get(f"/flags/{flag_id(2)}").text
    ticked = client.post(f"/months/{MONTH}/review", data={
        "scope": "ticked", "flag_id": [flag_id(4), flag_id(6)], "disposition": "duplicate",
        "duplicate_of": flag_id(0), "note": "same hold", "state": "open", "csrf_token": csrf},
        follow_redirects=False)
    assert ticked.status_code == 303
    # Every off-hours flag on account A1, as the filtered queue lists them, in one act.
    queue = client.get(f"/months/{MONTH}", params={"rule": "off_hours", "account": "A1"}).text
    listed = re.findall(r'name="flag_id" value="([^"]+)"', queue)
    assert listed == [flag_id(i) for i in (1, 5, 9, 13)]
    digest = re.search(r'name="matching_digest" value="([^"]+)"', queue).group(1)
    matching = {"scope": "matching", "rule": "off_hours", "account": "A1", "state": "open",
                "matching_digest": digest, "disposition": "false_positive", "note": "night shift",
                "csrf_token": csrf}
    assert client.post(f"/months/{MONTH}/review", data=matching, follow_redirects=False).status_code == 303
    # The same digest again: the queue it stood for has changed (those flags are decided now).
    stale = client.post(f"/months/{MONTH}/review", data=matching)
    assert stale.status_code == 409 and "changed since you opened it" in errors(stale)[0]
    reopened = client.post(f"/flags/{flag_id(5)}/reopen", data={"note": "a day-shift account after all",
                                                                "csrf_token": csrf}, follow_redirects=False)
    assert reopened.status_code == 303
    with open_store(review_home) as store:
        latest = store.latest(MONTH)
        history = store.history(flag_id(5))
    assert {f: d.disposition for f, d in latest.items()} == {
        flag_id(0): "confirmed", flag_id(2): "confirmed", flag_id(4): "duplicate", flag_id(6): "duplicate",
        flag_id(1): "false_positive", flag_id(5): None, flag_id(9): "false_positive", flag_id(13): "false_positive"}
    assert [(d.action, d.reviewer, d.note) for d in history] == [
        ("review", "rita", "night shift"), ("reopen", "rita", "a day-shift account after all")]
    page = client.get(f"/flags/{flag_id(5)}").text
    assert "reopened" in page and "night shift" in page and "Open: no decision yet." in page
    open_queue = client.get(f"/months/{MONTH}").text
    assert "9 flags match" in open_queue and f'value="{flag_id(5)}"' in open_queue


def test_an_approver_signs_off_and_everyone_sees_it(review_home):
    approver = logged_on(review_home, "abe")
    csrf = token(approver, f"/months/{MONTH}")
    approver.post(f"/months/{MONTH}/review", data={"scope": "ticked", "flag_id": [flag_id(0), flag_id(1)],
                                                   "disposition": "confirmed", "csrf_token": csrf})
    page = approver.get(f"/months/{MONTH}/signoff").text
    assert "2 of 16" in page and "Not signed off." in page and "Sign off 2016-03 v1" in page
    done = approver.post(f"/months/{MONTH}/signoff", data={"note": "checked <all>", "version": "v1",
                                                           "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303, done.text
    again = approver.post(f"/months/{MONTH}/signoff", data={"note": "", "version": "v1", "csrf_token": csrf})
    assert again.status_code == 400 and len(errors(again)) == 1
    viewer = logged_on(review_home, "vera")
    seen = viewer.get(f"/months/{MONTH}/signoff").text
    assert "Signed off by <strong>abe</strong>" in seen and "checked &lt;all&gt;" in seen
    assert "<form" not in seen.split("</header>")[1]
    assert "signed off by abe" in viewer.get("/").text


def test_failed_log_ons_are_limited_per_name_and_client(review_home):
    client = client_for(review_home)
    csrf = token(client)
    for _ in range(5):
        wrong = client.post("/login", data={"name": "rita", "password": "guess", "csrf_token": csrf})
        assert wrong.status_code == 401 and errors(wrong) == ["Wrong name or password."]
    right = client.post("/login", data={"name": "rita", "password": PASSWORDS["rita"], "csrf_token": csrf})
    assert right.status_code == 429 and "Too many failed log-ons" in errors(right)[0]
    # Another name from the same client is not held back.
    other = client.post("/login", data={"name": "vera", "password": PASSWORDS["vera"], "csrf_token": csrf},
                        follow_redirects=False)
    assert other.status_code == 303
    outcomes = [(r["account_id"], r["action"], r["source_action"], r["outcome"]) for r in access_rows(review_home)]
    assert outcomes == [("rita", "login_failed", "login", "failure")] * 5 + [
        ("rita", "login_failed", "login_refused", "failure"), ("vera", "login", "login", "success")]


def test_the_limit_counts_failures_within_the_window_only():
    from compliance.web.auth import LoginLimiter

    now = [0.0]
    limiter = LoginLimiter(max_failures=2, window_seconds=60, clock=lambda: now[0])
    limiter.failed("ana", "10.0.0.1")
    now[0] = 30
    limiter.failed("ana", "10.0.0.1")
    assert limiter.blocked("ana", "10.0.0.1") and not limiter.blocked("ana", "10.0.0.2")
    now[0] = 61  # the first failure has aged out
    assert not limiter.blocked("ana", "10.0.0.1")


def test_the_access_log_is_canonical_and_ingests(review_home):
    from compliance import pipeline, warehouse
    from compliance.contract import ACCESS_EVENT_COLUMNS

    client = logged_on(review_home, "rita")
    client.get(f"/months/{MONTH}", params={"rule": "off_hours"})
    client.get(f"/flags/{flag_id(3)}")
    csrf = token(client, f"/flags/{flag_id(3)}")
    client.post(f"/months/{MONTH}/review", data={"scope": "ticked", "flag_id": [flag_id(3), flag_id(7)],
                                                 "disposition": "confirmed", "csrf_token": csrf})
    client.post("/logout", data={"csrf_token": csrf})
    [path] = (landing_dir(review_home) / "access_events").glob("*.csv")
    assert re.fullmatch(r"review_app-\d{4}-\d{2}-\d{2}\.csv", path.name)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(ACCESS_EVENT_COLUMNS) and text.count("event_id,") == 1
    rows = access_rows(review_home)
    acts = [(r["action"], r["source_action"], r["subject_person_id"], r["objects"]) for r in rows]
    assert acts == [("login", "login", "", ""), ("search", "list_queue", "", ""),
                    ("view", "open_flag", "P3", "flag:f03"), ("view", "open_flag", "P3", "flag:f03"),
                    ("insert", "bulk_review", "P3", "flag:f03"), ("insert", "bulk_review", "P7", "flag:f07"),
                    ("search", "list_queue", "", ""), ("logout", "logout", "", "")]
    assert {r["account_id"] for r in rows} == {"rita"} and {r["source"] for r in rows} == {"review_app"}
    assert [int(r["sequence_no"]) for r in rows] == list(range(1, 9))
    assert rows[1]["search_terms"] == "month=2016-03 rule=off_hours state=open" and rows[1]["result_count"] == "8"
    assert len({r["session_id"] for r in rows}) == 1 and rows[0]["session_id"]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00", r["event_ts"]) for r in rows)
    results = pipeline.ingest_landing(review_home, landing_dir(review_home))
    assert [(r["status"], r["rows_loaded"], r["rows_quarantined"]) for r in results] == [("loaded", 8, 0)]
    with warehouse.connect(review_home, read_only=True) as con:
        loaded = con.execute("SELECT count(*), count(DISTINCT event_id), min(sequence_no), max(sequence_no) "
                             "FROM access_events WHERE source = 'review_app' AND account_id = 'rita'").fetchone()
        viewed = con.execute("SELECT subject_person_id FROM access_events WHERE action = 'view'").fetchall()
    assert loaded == (8, 8, 1, 8) and viewed == [("P3",), ("P3",)]


def test_it_serves_while_another_process_holds_the_warehouse_lock(review_home):
    import duckdb

    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, duckdb
        con = duckdb.connect({str(review_home / 'warehouse.duckdb')!r})
        con.execute("CREATE TABLE IF NOT EXISTS held (x INT)")
        print("holding", flush=True)
        sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(review_home / "warehouse.duckdb"), read_only=True)
        client = logged_on(review_home, "rita")
        queue = client.get(f"/months/{MONTH}")
        assert queue.status_code == 200 and "16 flags match" in queue.text
        assert client.get(f"/flags/{flag_id(1)}").status_code == 200
        csrf = token(client, f"/months/{MONTH}")
        done = client.post(f"/flags/{flag_id(1)}/review", data={"disposition": "confirmed", "csrf_token": csrf},
                           follow_redirects=False)
        assert done.status_code == 303
        assert holder.poll() is None
    finally:
        holder.communicate("done\n", timeout=30)
    assert [d.disposition for d in decisions(review_home)] == ["confirmed"]


def test_accounts_store_argon2_hashes_and_refuse_bad_input(review_home):
    from compliance.review.users import add_user, any_users, authenticate, role_of

    with open_store(review_home) as store:
        assert authenticate(store, "rita", PASSWORDS["rita"]) == "reviewer"
        assert authenticate(store, "rita", "wrong") is None and authenticate(store, "nobody", "x") is None
        assert role_of(store, "abe") == "approver" and role_of(store, "nobody") is None and any_users(store)
        [stored] = store.read("review/users_get", {"name": "rita"})
        assert stored["password_hash"].startswith("$argon2id$") and PASSWORDS["rita"] not in stored["password_hash"]
        for args, message in ((("ann", "admin", "pw"), "unknown role 'admin'"),
                              (("", "viewer", "pw"), "needs a name"),
                              (("ann smith", "viewer", "pw"), "account name"),
                              (("ann", "viewer", ""), "needs a password"),
                              (("rita", "viewer", "pw"), "account 'rita' exists already")):
            with pytest.raises(ComplianceError, match=message):
                add_user(store, *args)
        assert store.read("review/users_count") == [{"accounts": 3}]


def parser():
    from compliance.web.cli import add_parsers

    main = argparse.ArgumentParser()
    main.add_argument("--home")
    main.add_argument("--policy")
    add_parsers(main.add_subparsers(dest="command", required=True))
    return main


def test_users_add_reads_the_password_from_stdin(review_home, monkeypatch, capsys):
    from compliance.review.users import authenticate

    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret words\n"))
    args = parser().parse_args(["--home", str(review_home), "users", "add", "nina", "--role", "reviewer",
                                "--password-stdin"])
    assert args.func(args) == 0 and capsys.readouterr().out == "account nina: reviewer\n"
    with open_store(review_home) as store:
        assert authenticate(store, "nina", "s3cret words") == "reviewer"
    for argv, message in ((["users", "add", "olga", "--role", "reviewer"], "--password-stdin"),
                          (["users", "add", "olga", "--role", "boss", "--password-stdin"], "unknown role 'boss'")):
        monkeypatch.setattr(sys, "stdin", io.StringIO("pw\n"))
        args = parser().parse_args(["--home", str(review_home), *argv])
        with pytest.raises(ComplianceError, match=message):
            args.func(args)


def test_serve_binds_loopback_and_warns_on_another_host(review_home, monkeypatch, capsys, tmp_path):
    import uvicorn

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
    for host in ("127.0.0.1", "0.0.0.0"):
        args = parser().parse_args(["--home", str(review_home), "serve", *(["--host", host] if host != "127.0.0.1"
                                                                          else [])])
        assert args.func(args) == 0
    assert [(o["host"], o["port"]) for o in served] == [("127.0.0.1", 8600), ("0.0.0.0", 8600)]
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == ["compliance: warning: serving on 0.0.0.0 in plain HTTP: put a TLS proxy in front "
                        "(session cookies are marked Secure and are only sent over HTTPS)"]
    empty = tmp_path / "empty-home"
    args = parser().parse_args(["--home", str(empty), "serve"])
    with pytest.raises(ComplianceError, match="no accounts yet"):
        args.func(args)


def test_after_a_rerun_the_queue_shows_what_changed_since_review_and_what_is_no_longer_raised(review_home):
    from compliance import pipeline, warehouse

    client = logged_on(review_home, "rita")
    csrf = token(client, f"/months/{MONTH}")
    assert client.post(f"/months/{MONTH}/review", data={
        "scope": "ticked", "flag_id": [flag_id(0), flag_id(2)], "disposition": "confirmed", "note": "",
        "state": "open", "csrf_token": csrf}, follow_redirects=False).status_code == 303
    # Late data: f00's evidence changes, f02 is no longer raised; the month is reported again (v2).
    with warehouse.connect(review_home) as con:
        con.execute("""UPDATE flags SET evidence = '{"reason": "a second charge arrived"}' WHERE flag_id = ?""",
                    [flag_id(0)])
        con.execute("DELETE FROM flags WHERE flag_id = ?", [flag_id(2)])
    assert pipeline.build_reports(review_home, MONTH).version == "v2"
    queue = html.unescape(client.get(f"/months/{MONTH}", params={"state": "all"}).text)
    rows = {re.search(r'/flags/(f\d\d)"', row).group(1): row
            for row in re.findall(r"<tr class=.*?</tr>", queue, re.S) if "/flags/" in row}
    assert len(rows) == FLAG_COUNT, queue
    assert "open again: evidence or rule changed since review" in rows[flag_id(0)]
    assert "no longer raised (since v2)" in rows[flag_id(2)] and "confirmed" in rows[flag_id(2)]
