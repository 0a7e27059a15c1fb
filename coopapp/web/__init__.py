"""Server-rendered pages: one blueprint per part of the product."""

from decimal import Decimal

from flask import Flask
from flask_babel import get_locale
from markupsafe import Markup

from coopapp.core.money import format_wan, format_yuan, plain_yuan
from coopapp.core.vocabulary import (
    BASE_UNITS,
    BASES,
    CAPACITY_UNITS,
    DEDUCTION_KINDS,
    KINDS,
    PAYMENT_METHODS,
    PLAN_STATUSES,
    PROJECT_TYPES,
    REOPENING_STATUSES,
    STATEMENT_LINES,
    STATUSES,
    UNITS,
    WARNING_RULES,
)
from coopapp.web.display import local_time

MINUS = "\u2212"  # the minus sign, not a hyphen


def pct(value: Decimal | None) -> str:
    """A ratio as a percentage with one decimal (0.125 → "12.5%", a negative one with the minus
    sign: the attainment of a target by a year of net returns); None → "—"."""
    if value is None:
        return "—"
    return signed_text(f"{(Decimal(value) * 100).quantize(Decimal('0.1'))}%")


def signed_pct(value: Decimal | None) -> str:
    """A change as a signed percentage (0.042 → "+4.2%", −0.108 → "−10.8%"); None → "—"."""
    if value is None:
        return "—"
    rounded = (Decimal(value) * 100).quantize(Decimal("0.1"))
    if rounded == 0:
        return "0.0%"
    sign = "+" if rounded > 0 else MINUS
    return f"{sign}{abs(rounded)}%"


def quantity(value: Decimal | None) -> str | Markup:
    """A quantity without trailing zeros, with thousands separators; a negative one (a red entry's)
    as `signed`."""
    if value is None:
        return ""
    text = f"{Decimal(value):,f}"
    return signed(text.rstrip("0").rstrip(".") if "." in text else text)


def signed(text: str) -> str | Markup:
    """A formatted number for a page: a negative one (a red entry, 红字) with the minus sign and in
    red (`<span class="neg">−1,500.00</span>`: the class is what app.css and print.css colour),
    never hidden; any other as it is."""
    if text.startswith("-"):
        return Markup('<span class="neg">{}{}</span>').format(MINUS, text[1:])
    return text


def signed_text(text: str) -> str:
    """A formatted number for plain text (a title, an attribute): a negative one with the minus sign."""
    return MINUS + text[1:] if text.startswith("-") else text


def page_yuan(fen: int | None) -> str | Markup:
    """Fen as yuan on a page: 1234550 → "12,345.50"; a negative amount as `signed` (−1,500.00, red)."""
    return signed(format_yuan(fen))


def text_yuan(fen: int | None) -> str:
    """Fen as yuan inside a title, an attribute or a translated sentence: no markup, the minus sign."""
    return signed_text(format_yuan(fen))


def page_wan(fen: int | None) -> str | Markup:
    """`format_wan` on a page, a negative amount as `signed`."""
    return signed(format_wan(fen))


def register_filters(app: Flask) -> None:
    env = app.jinja_env
    env.filters["yuan"] = page_yuan
    env.filters["wan"] = page_wan
    env.filters["yuan_text"] = text_yuan
    env.filters["plain_yuan"] = plain_yuan
    env.filters["pct"] = pct
    env.filters["signed_pct"] = signed_pct
    env.filters["qty"] = quantity
    env.filters["kind_label"] = KINDS.label
    env.filters["payment_method_label"] = PAYMENT_METHODS.label
    env.filters["statement_line_label"] = STATEMENT_LINES.label
    env.filters["status_label"] = STATUSES.label
    env.filters["project_type_label"] = PROJECT_TYPES.label
    env.filters["unit_label"] = UNITS.label
    env.filters["capacity_unit_label"] = CAPACITY_UNITS.label
    env.filters["base_unit_label"] = BASE_UNITS.label
    env.filters["basis_label"] = BASES.label
    env.filters["deduction_label"] = DEDUCTION_KINDS.label
    env.filters["plan_status_label"] = PLAN_STATUSES.label
    env.filters["reopening_status_label"] = REOPENING_STATUSES.label
    env.filters["warning_rule_label"] = WARNING_RULES.label
    env.filters["local_time"] = local_time
    env.globals["warning_rules"] = tuple(WARNING_RULES)

    @app.context_processor
    def _page_globals():
        return {"current_lang": str(get_locale() or "zh_CN")}


def register_web(app: Flask) -> None:
    """Register every page blueprint."""
    from coopapp.web.areas.routes import bp as areas_bp
    from coopapp.web.auth.routes import bp as auth_bp
    from coopapp.web.charts.routes import bp as charts_bp
    from coopapp.web.disclosure.routes import bp as disclosure_bp
    from coopapp.web.distributions.routes import bp as distributions_bp
    from coopapp.web.imports.routes import bp as imports_bp
    from coopapp.web.ledger.routes import bp as ledger_bp
    from coopapp.web.offline.routes import bp as offline_bp
    from coopapp.web.orgs.routes import bp as orgs_bp
    from coopapp.web.public.routes import bp as public_bp
    from coopapp.web.reports.routes import bp as reports_bp
    from coopapp.web.review.routes import bp as review_bp
    from coopapp.web.settings.routes import bp as settings_bp
    from coopapp.web.town.routes import bp as town_bp
    from coopapp.web.users.routes import bp as users_bp
    from coopapp.web.village import bp as village_bp
    from coopapp.web.village import households, objections, routes  # noqa: F401  (their routes)
    from coopapp.web.vouchers.routes import bp as vouchers_bp

    for bp in (auth_bp, ledger_bp, review_bp, village_bp, reports_bp, public_bp, distributions_bp, charts_bp):
        app.register_blueprint(bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(disclosure_bp)
    app.register_blueprint(areas_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(orgs_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(town_bp)
    app.register_blueprint(vouchers_bp)
    register_filters(app)
