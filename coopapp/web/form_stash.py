"""A form posted after its session ended is kept, not lost: the typed values wait in the signed
session for the next login, and the form's page shows them again (to check and save; nothing is
saved by itself).

- When: a logged-out browser posts a form of a page that needs a login (the session ended
  elsewhere, expired, or its CSRF token no longer holds) — Flask-Login's unauthorized handler
  and the CSRF error handler both come here, before anything is saved.
- What: the posted fields of a form posted from this site's own page (Origin, else Referer),
  minus `csrf_token` and every password field; at most MAX_FIELDS
  fields of MAX_VALUE characters each, and only as much as keeps the session cookie under
  MAX_COOKIE_BYTES (longer values are left out, and the message says so). Files are never kept.
- Where: in the signed session cookie, under STASH_KEY, so it never leaves that browser.
- Whose: the user who was logged in when the form was opened, as the signed session still names
  them (`_user_id` outlives the server-side session). Only that user's next login gets the values
  back; anyone else logging in on that browser (a shared office PC) drops them unseen, and is not
  sent to the form's page. When the browser no longer names anyone (its cookie was lost), the
  values go to whoever logs in next on that browser — the person who just pressed 保存 there.
- How long: STASH_MINUTES (15) from the post, then dropped.
- Which pages: those listed in RESTORING (the form pages built on `save_form`, and a few that
  call `restore_into` themselves); a form posted from any other page (a one-button action, a
  reason typed in a list, a file upload) is not kept, and the login page says that the action
  was not done.
"""

import time
from urllib.parse import parse_qsl, unquote, urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_url
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from coopapp.web.addresses import back_to, safe_next

STASH_KEY = "coop_form_stash"
STASH_MINUTES = 15
MAX_FIELDS = 80
MAX_VALUE = 2000
MAX_COOKIE_BYTES = 3600  # browsers drop a cookie over 4096 bytes, and with it the whole session

# The form pages that show kept values again: those built with `save_form`, and the ones that call
# `restore_into` themselves (tests/test_form_stash.py posts to each and checks the values return).
RESTORING = frozenset(
    {
        "ledger.new_entry",
        "ledger.edit_entry",
        "distributions.new_plan",
        "village.new_project",
        "village.edit_project",
        "village.new_household",
        "village.edit_household",
        "orgs.new_cooperative",
        "orgs.edit_cooperative",
        "users.new",
        "users.edit",
        "areas.new",
        "areas.edit",
        "areas.merge",
    }
)
# Pages a logged-out browser may post to: a CSRF failure there is an ordinary error.
OPEN_ENDPOINTS = frozenset({"auth.login", "auth.set_language"})


def _kept_field(name: str) -> bool:
    return name != "csrf_token" and "password" not in name.lower()


def _page_endpoint(page: str) -> str | None:
    """The endpoint a GET of this same-site path reaches, or None."""
    adapter = current_app.url_map.bind("localhost", script_name=request.script_root or None)
    try:
        endpoint, _args = adapter.match(page.split("?", 1)[0], method="GET")
    except HTTPException:
        return None
    return endpoint


def _same_page(a: str, b: str) -> bool:
    """Two same-site addresses name the same page (the query's order and encoding aside)."""
    first, second = urlsplit(a), urlsplit(b)
    return unquote(first.path) == unquote(second.path) and sorted(parse_qsl(first.query)) == sorted(
        parse_qsl(second.query)
    )


def _form_page() -> str | None:
    """The page the form was posted from (its Referer on this site, else the post's own address),
    if that page shows kept values again."""
    own = request.full_path.rstrip("?")
    for page in (safe_next(back_to(own)), own):
        if page and _page_endpoint(page) in RESTORING:
            return page
    return None


def _posted_from_this_site() -> bool:
    """The post came from one of this site's own pages (its Origin, else its Referer, names this
    host). Another site's page posting here while nobody is logged in must not plant values that
    the next login would see as its own."""
    source = request.headers.get("Origin") or request.referrer or ""
    return bool(source) and urlsplit(source).netloc == request.host


def _cookie_bytes() -> int:
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return len(serializer.dumps(dict(session))) if serializer is not None else 0


def stash_posted_form() -> tuple[bool, bool]:
    """Keep this post's fields for the next login (see the module's docstring).
    Returns (kept: anything kept, whole: nothing left out)."""
    page = _form_page() if _posted_from_this_site() else None
    if page is None:
        return False, False
    fields, whole = [], True
    for name, value in request.form.items(multi=True):
        if not _kept_field(name):
            continue
        if len(fields) >= MAX_FIELDS or len(value) > MAX_VALUE:
            whole = False
            continue
        fields.append([name, value])
    if not fields:
        return False, whole
    owner = session.get("_user_id")
    session[STASH_KEY] = {"owner": owner, "page": page, "at": int(time.time()), "fields": fields}
    while _cookie_bytes() > MAX_COOKIE_BYTES and fields:
        fields.remove(max(fields, key=lambda pair: len(pair[1])))  # the longest value goes first
        whole = False
        session[STASH_KEY] = {"owner": owner, "page": page, "at": int(time.time()), "fields": fields}
    if not fields:
        session.pop(STASH_KEY, None)
        return False, False
    return True, whole


def _stash() -> dict | None:
    """The kept form while it is fresh; an old or malformed one is dropped."""
    found = session.get(STASH_KEY)
    if not isinstance(found, dict):
        return None
    if not isinstance(found.get("at"), int) or time.time() - found["at"] > STASH_MINUTES * 60:
        session.pop(STASH_KEY, None)
        return None
    return found


def login_again():
    """A logged-out browser reached a page that needs a login: to the login page, and back after it.
    A posted form is kept first, and the login page says why the user has to log in again."""
    if request.path.startswith("/api/"):
        abort(401)
    if request.method != "POST":
        if session.get("_user_id"):  # the browser was logged in: its session has ended
            flash(_("登录已过期，请重新登录。"), "warning")
        return redirect(login_url("auth.login", next_url=request.url))
    kept, whole = stash_posted_form()
    if kept and whole:
        flash(_("登录已过期，请重新登录；您填写的内容已保留。"), "warning")
    elif kept:
        flash(_("登录已过期，请重新登录；您填写的内容已保留（过长的内容没有保留，请登录后补填）。"), "warning")
    else:
        flash(_("登录已过期，请重新登录。刚才的操作没有完成，请登录后再做一次。"), "warning")
    page = session[STASH_KEY]["page"] if kept else back_to(url_for("auth.home"))
    return redirect(url_for("auth.login", next=page))


def csrf_failure_of_a_logged_out_form(logged_in: bool) -> bool:
    """True when a CSRF failure is a form of a login-only page posted after its session ended
    (then `login_again` answers it, as for a post that passed the CSRF check)."""
    endpoint = request.endpoint or ""
    return (
        request.method == "POST"
        and not logged_in
        and not request.path.startswith("/api/")
        and not endpoint.startswith("public.")
        and endpoint not in OPEN_ENDPOINTS
    )


def after_login(user_id: int) -> str | None:
    """Where the login of `user_id` goes instead of its `next`: the page of the form kept for them;
    the home page when the kept form was someone else's (it is dropped unseen, and its page is not
    this user's business); None when no form is kept."""
    found = _stash()
    if found is None:
        return None
    if found.get("owner") not in (None, str(user_id)):
        session.pop(STASH_KEY, None)
        return url_for("auth.home")
    found["owner"] = str(user_id)
    session[STASH_KEY] = found
    return found["page"]


def restore_into(form, user_id: int) -> bool:
    """On a GET of the kept form's page by its owner: show the kept values in `form` (once),
    leaving its other fields as they are. True when it did."""
    found = _stash()
    if request.method != "GET" or found is None or found.get("owner") != str(user_id):
        return False
    if not _same_page(found.get("page") or "", request.full_path):
        return False
    session.pop(STASH_KEY, None)
    values = MultiDict([tuple(pair) for pair in found.get("fields", []) if len(pair) == 2])
    for name, field in form._fields.items():
        if name in values or any(key.startswith(f"{name}-") for key in values):
            field.process(values)
    flash(_("已填回您登录前填写的内容，请核对后保存。"), "info")
    return True
