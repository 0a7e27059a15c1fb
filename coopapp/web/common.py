"""Small helpers shared by the page blueprints."""

from collections.abc import Callable

from flask import abort, flash, make_response, redirect, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm

from coopapp.core.forms import ActionForm
from coopapp.core.periods import is_period
from coopapp.core.text import to_int
from coopapp.errors import Invalid
from coopapp.ledger import operations as ledger
from coopapp.models import Area, Household
from coopapp.villages.privacy import page_privacy
from coopapp.web.addresses import CAME_FROM, back_to, safe_next  # noqa: F401  (the pages import them from here)
from coopapp.web.form_stash import restore_into


def show_field_errors(form: FlaskForm, err: Invalid) -> None:
    """Put a domain error's field messages beside the form's fields."""
    placed = False
    for name, message in err.fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        form.form_errors.append(err.message)


def save_form(form: FlaskForm, save: Callable, page: Callable, success: str, target: str | Callable):
    """A form page's post: when the form validates, run `save()`; an Invalid it raises goes beside the fields
    and `page(422)` shows them, else flash `success` and redirect to `target` (or `target(what save returned)`).
    A GET shows `page(200)` — with the values of this form kept when its session ended mid-form
    (`form_stash`) — and a post that does not validate `page(422)`."""
    if request.method == "GET":
        restore_into(form, current_user.get_id())
    if form.validate_on_submit():
        try:
            saved = save()
        except Invalid as err:
            show_field_errors(form, err)
            return page(422)
        flash(success, "success")
        return redirect(target(saved) if callable(target) else target)
    return page(422 if form.is_submitted() else 200)


def require_action_form() -> None:
    """A one-button POST: only its CSRF token is checked."""
    if not ActionForm().validate_on_submit():
        abort(400)


CONFIRMED = "confirmed"


def require_confirmation(action: str, consequence: str, back: str) -> None:
    """Ask before what cannot be undone. A post without `confirmed=1` gets the confirmation page
    instead (aborting the view, so nothing is written): `action` as its heading, `consequence` (the
    domain's sentence, with the numbers) as its text, a 确定 button that posts the same form again
    with confirmed=1 and a 取消 link to `back`. With confirmed=1 this returns and the view acts.
    Call it after the checks that would refuse the action, so a refusal is not asked about first."""
    if request.form.get(CONFIRMED) == "1":
        return
    kept = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", CONFIRMED, CAME_FROM)]
    origin = back_to("")
    if origin:
        kept.append((CAME_FROM, origin))  # (where `back_to` returns once it is done)
    target = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    page = render_template("confirm.html", action=action, consequence=consequence, back=back, kept=kept, target=target)
    abort(make_response(page, 200))


def year_arg() -> int:
    """The `?year=` of a report, the current year by default."""
    this_year = ledger.today().year
    year = request.args.get("year", type=to_int)
    return year if year and 2000 <= year <= this_year + 1 else this_year


def year_choices() -> list[int]:
    """The years offered in report pickers, newest first."""
    this_year = ledger.today().year
    return list(range(this_year, this_year - 6, -1))


MAX_PAGE = 100_000  # keeps the OFFSET of an absurd ?page= inside the database's integer range


def page_arg() -> int:
    """The `?page=` of a paged list: 1 when missing or below 1, at most MAX_PAGE."""
    return min(max(request.args.get("page", 1, type=to_int), 1), MAX_PAGE)


def period_arg() -> str | None:
    """The `?period=YYYY-MM` filter of a list; anything else means no filter."""
    period = (request.args.get("period") or "").strip()
    return period if is_period(period) else None


def household_name(household: Household | None, village: Area) -> str:
    """A household head's name as the current user may see it (`page_privacy`)."""
    if household is None:
        return ""
    return page_privacy(current_user, village).name(household.head_name)
