"""A household's public statement page (no login), reached by the QR code on its printed statement."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopapp.core.vocabulary import OBJECTION_STATUSES
from coopapp.disclosure import operations as disclosure
from coopapp.disclosure.directory import public_directory
from coopapp.distributions import objections
from coopapp.errors import Conflict, Invalid
from coopapp.villages import catalog, statements
from coopapp.villages.privacy import MASKED
from coopapp.web.common import year_arg, year_choices
from coopapp.web.display import local_time
from coopapp.web.public.forms import ObjectionForm

bp = Blueprint("public", __name__)


@bp.after_request
def _not_for_search_engines(response):
    """The page is for one household: never indexed, never cached by a shared cache, and its
    address (which carries the household's token) never sent to another site as a Referer.
    Not "no-referrer": over HTTPS the objection form's CSRF check wants the same-origin Referer,
    and without it every objection was refused."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _plan_rows(household, year: int) -> list[dict]:
    return [
        {
            "id": row.plan.id,
            "project": row.plan.project.name,
            "period": row.plan.period,
            "amount_fen": row.amount_fen,
            "listed": row.amount_fen is not None,
            "published": local_time(row.plan.published_at),
            "notice_ends": local_time(row.notice_ends),
            "open": row.open,
        }
        for row in objections.published_plans_for(household, year)
    ]


def _objection_rows(household) -> list[dict]:
    return [
        {
            "plan": f"{o.distribution.project.name} · {o.distribution.period}",
            "text": o.text,
            "created": local_time(o.created_at),
            "status": OBJECTION_STATUSES.label(o.status),
            "answer": o.answer or "",
            "answered": local_time(o.answered_at),
        }
        for o in objections.objections_of(household)
    ]


def _page(household, form: ObjectionForm, form_for: int | None = None, status: int = 200):
    year = year_arg()
    return render_template(
        "public/statement.html",
        village=household.village,
        head_name=MASKED.name(household.head_name),
        group_name=household.group.name if household.group else "",
        statement=statements.household_statement(household, year),
        years=year_choices(),
        plans=_plan_rows(household, year),
        raised=_objection_rows(household),
        form=form,
        form_for=form_for,
    ), status


@bp.get("/s/<token>")
def statement(token: str):
    return _page(objections.household_by_token(token), ObjectionForm(formdata=None))


@bp.post("/s/<token>")
def raise_objection(token: str):
    household = objections.household_by_token(token)
    form = ObjectionForm()
    plan_id = form.distribution_id.data
    if form.validate_on_submit():
        try:
            objections.raise_objection(household, plan_id, form.text.data)
        except (Invalid, Conflict) as err:
            form.form_errors.append(err.message)
            return _page(household, form, plan_id, status=err.status)
        flash(_("您的异议已提交。村书记答复后，答复会显示在本页。"), "success")
        return redirect(url_for("public.statement", token=token, year=year_arg()))
    return _page(household, form, plan_id, status=422)


@bp.get("/p/")
def villages():
    """The public entry page (no login): every village's public page, under its town. Light: plain
    links and a list of towns to jump to, for a phone inside WeChat."""
    towns = public_directory()
    return render_template("public/index.html", towns=towns, several_counties=len({t.county for t in towns}) > 1)


@bp.get("/p/<code>")
def village(code: str):
    """A village's public disclosure page (村务公开), no login: approved figures by month or
    quarter (?by=quarter), published distributions under masked names, corrections and red entries as such;
    of one village group with ?group=CODE (组账村代记)."""
    area = catalog.village_by_code(code)
    group = catalog.village_group(area, request.args.get("group"))
    place = group or area
    year = year_arg()
    quarterly = request.args.get("by") == "quarter"
    return render_template(
        "public/village.html",
        village=area,
        group=group,
        groups=disclosure.groups_with_books(area),
        year=year,
        years=year_choices(),
        quarterly=quarterly,
        rows=disclosure.year_table(place, year, quarterly),
        total=disclosure.period_figures(place, disclosure.Period(year, 1, 12)),
        plans=disclosure.published_plans(place, date(year, 1, 1), date(year, 12, 31)),
        corrections=disclosure.corrections(place, f"{year}-01", f"{year}-12"),
        red_entries=disclosure.red_entries(place, f"{year}-01", f"{year}-12"),
        last=disclosure.last_disclosure(area),
        local_time=local_time,
    )
