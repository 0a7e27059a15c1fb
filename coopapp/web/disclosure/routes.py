"""The printed annual report and 公开栏 notice sheet (print HTML and PDF), the secretary's
"publish this period's notice" action, and the reviewers' disclosure calendar."""

import base64
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from coopapp import charts
from coopapp.access.scope import can
from coopapp.disclosure import operations as disclosure
from coopapp.errors import Conflict, Invalid
from coopapp.ledger import operations as ledger
from coopapp.models import Area
from coopapp.reporting import annual_report, chart_data
from coopapp.villages import catalog
from coopapp.web import display
from coopapp.web.common import year_arg, year_choices
from coopapp.web.disclosure import pdf
from coopapp.web.disclosure.forms import PublishNoticeForm
from coopapp.web.display import local_time

bp = Blueprint("disclosure", __name__)
PRINT_CSS = Path(__file__).resolve().parents[2] / "static" / "print.css"


@bp.before_request
@login_required
def _login_first():
    """Printed reports and the calendar are for logged-in users; the public page is elsewhere."""


@lru_cache(maxsize=1)
def _print_css_text() -> str:
    return PRINT_CSS.read_text(encoding="utf-8")


def _assets(inline: bool) -> dict:
    """The page's stylesheet: a link for the browser, inlined for Chromium's PDF."""
    return {"inline_css": Markup(_print_css_text()) if inline else None}


def _chart(name: str, data: dict, url: str, inline: bool, title: str) -> dict:
    """One chart of a printed page: its address, or for the PDF the PNG itself as a data: URI."""
    if inline:
        src = "data:image/png;base64," + base64.b64encode(charts.chart_bytes(name, data, "png")).decode("ascii")
    else:
        src = url
    return {"src": src, "alt": charts.describe(name, data).alt, "title": title}


def _annual_charts(village: Area, year: int, inline: bool) -> list[dict]:
    """The village's benefit chart and each project's output and yield charts."""
    found = [
        _chart(
            "benefit",
            chart_data.village_benefit(village, year),
            url_for("charts.village_benefit", code=village.code, fmt="png", year=year),
            inline,
            _("农户收益分布"),
        )
    ]
    outputs = {d["project_id"]: d for d in chart_data.village_project_outputs(village, year)}
    for project in catalog.projects_for(current_user, village):
        if project.id in outputs:
            found.append(
                _chart(
                    "output",
                    outputs[project.id],
                    url_for("charts.project_output", project_id=project.id, fmt="png", year=year),
                    inline,
                    _("%(p)s：各月产值", p=project.name),
                )
            )
        if not project.capacity:
            continue  # no capacity, no yield: the chart would only say so
        found.append(
            _chart(
                "yield",
                chart_data.project_yield(project),
                url_for("charts.project_yield", project_id=project.id, fmt="png"),
                inline,
                _("%(p)s：单位产值", p=project.name),
            )
        )
    return found


def _pdf(html: str, filename: str, print_page: str) -> Response:
    """The PDF of a print page, or back to the print page with how to print it by hand."""
    try:
        body = pdf.html_to_pdf(html)
    except pdf.PdfBusy:
        flash(_("正在生成的 PDF 太多，请稍后再试，或在本页使用浏览器的“打印 → 另存为 PDF”。"), "warning")
        return redirect(print_page)
    except pdf.PdfUnavailable:
        flash(
            _("本机无法生成 PDF（没有可用的 Chromium 浏览器）。请在本页使用浏览器的“打印 → 另存为 PDF”。"),
            "warning",
        )
        return redirect(print_page)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"}
    return Response(body, mimetype="application/pdf", headers=headers)


def _annual_html(village: Area, year: int, inline: bool) -> str:
    return render_template(
        "reports/annual.html",
        r=annual_report.annual_report(current_user, village, year),
        charts=_annual_charts(village, year, inline),
        years=year_choices(),
        printed_on=ledger.today().isoformat(),
        local_time=local_time,
        **_assets(inline),
    )


@bp.get("/villages/<code>/annual-report")
def annual(code: str):
    """The village's annual report as a print-ready A4 page."""
    return _annual_html(catalog.get_village(code, current_user), year_arg(), inline=False)


@bp.get("/villages/<code>/annual-report.pdf")
def annual_pdf(code: str):
    """The annual report as a PDF (Chromium), else the print page with how to save it."""
    village, year = catalog.get_village(code, current_user), year_arg()
    html = _annual_html(village, year, inline=True)
    return _pdf(html, f"annual-{village.code}-{year}.pdf", url_for("disclosure.annual", code=village.code, year=year))


def _period() -> disclosure.Period:
    """The month (?period=) or quarter (?quarter=) asked for; a 400 page when the query names neither rightly."""
    try:
        return disclosure.period_from_args(request.args.get("period"), request.args.get("quarter"))
    except Invalid as err:
        message = " ".join([err.message, *err.fields.values()])
        abort(Response(render_template("errors/error.html", status=400, message=message), status=400))


def _period_args(period: disclosure.Period) -> dict:
    return {"quarter": period.code} if period.quarterly else {"period": period.code}


def _notice_html(village: Area, period: disclosure.Period, inline: bool, group: Area | None = None) -> str:
    """The notice of the village, or with `group` of one of its village groups (组账村代记: the
    group's figures from its summaries; only a village's notice is registered as published)."""
    place, group_args = group or village, {"group": group.code} if group else {}
    public_url = display.public_url("public.village", code=village.code, **group_args)
    published = disclosure.disclosure_of(village, period) if group is None else None
    return render_template(
        "disclosure/notice.html",
        village=village,
        group=group,
        group_args=group_args,
        period=period,
        figures=disclosure.period_figures(place, period),
        plans=disclosure.published_plans(place, period.start, period.end),
        corrections=disclosure.corrections(place, period.first, period.last),
        red_entries=disclosure.red_entries(place, period.first, period.last),
        public_url=public_url,
        qr=display.qr_svg(public_url, fit=True),
        published=published,
        published_on=local_time(published.published_at)[:10] if published else "",
        can_publish=group is None and can(current_user, "manage_village", village),
        form=PublishNoticeForm(formdata=None, period=period.code),
        period_args={**_period_args(period), **group_args},
        local_time=local_time,
        **_assets(inline),
    )


@bp.get("/villages/<code>/notice")
def notice(code: str):
    """The 公开栏 notice sheet of a month (?period=2025-09) or a quarter (?quarter=2025Q3), A3; of one
    village group with ?group=CODE."""
    village, group = catalog.get_village_or_group(code, request.args.get("group"), current_user)
    period = _period()
    return _notice_html(village, period, inline=False, group=group)


@bp.get("/villages/<code>/notice.pdf")
def notice_pdf(code: str):
    """The notice sheet as a PDF (Chromium), else the print page with how to save it."""
    village, group = catalog.get_village_or_group(code, request.args.get("group"), current_user)
    period = _period()
    html = _notice_html(village, period, inline=True, group=group)
    group_args = {"group": group.code} if group else {}
    page = url_for("disclosure.notice", code=village.code, **_period_args(period), **group_args)
    stem = f"notice-{(group or village).code}-{period.code}"
    return _pdf(html, f"{stem}.pdf", page)


@bp.post("/villages/<code>/notice/publish")
def publish(code: str):
    """The secretary records that this period's notice is up (the disclosure calendar)."""
    village = catalog.get_village(code, current_user)
    form = PublishNoticeForm()
    if not form.validate_on_submit():
        flash(_("请选择要公布的月份或季度。"), "error")
        return redirect(url_for("disclosure.notice", code=village.code))
    try:
        period = disclosure.parse_period(form.period.data)
        disclosure.publish_notice(current_user, village, period)
    except (Invalid, Conflict) as err:
        flash(err.message, "error")
        return redirect(url_for("disclosure.notice", code=village.code, **_period_args_or_none(form.period.data)))
    flash(_("已登记公布：%(p)s 公开栏。", p=period.label), "success")
    return redirect(url_for("disclosure.notice", code=village.code, **_period_args(period)))


def _period_args_or_none(text: str | None) -> dict:
    try:
        return _period_args(disclosure.parse_period(text))
    except Invalid:
        return {}


@bp.get("/disclosure/calendar")
def calendar():
    """Each village's last publication and which are overdue (the user's scope, or ?area=)."""
    area = catalog.get_area(request.args.get("area"), current_user)
    rows = disclosure.calendar(current_user, under=area)
    return render_template(
        "disclosure/calendar.html",
        area=area,
        rows=rows,
        overdue=sum(1 for r in rows if r.overdue),
        grace_days=current_app.config.get("DISCLOSURE_GRACE_DAYS", disclosure.DEFAULT_GRACE_DAYS),
        min_entries=current_app.config.get("DISCLOSURE_MONTHLY_MIN_ENTRIES", disclosure.DEFAULT_MONTHLY_MIN_ENTRIES),
        today=ledger.today(),
        local_time=local_time,
    )
