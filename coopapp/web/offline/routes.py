"""The installable app: its manifest, its service worker, and the choices of the accountant's
entry form that the offline queue's list shows."""

from pathlib import Path

from flask import Blueprint, current_app, jsonify, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coopapp import settings
from coopapp.core.vocabulary import KINDS, PAYMENT_METHODS, SPENDING_KINDS, UNITS
from coopapp.ledger.groups import village_groups
from coopapp.villages import catalog
from coopapp.web.common import household_name

bp = Blueprint("offline", __name__)
SERVICE_WORKER = Path(__file__).resolve().parents[2] / "static" / "sw.js"


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the site's root so that its scope is the whole app; never cached
    by the browser's HTTP cache, so a new version is picked up on the next visit."""
    response = send_file(SERVICE_WORKER, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: name, icons, start page (the ledger) of the installed app."""
    icons = [
        {"src": url_for("static", filename=f"icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
        for n in (192, 512)
    ]
    icons[-1]["purpose"] = "any maskable"
    body = {
        "name": _("合作社经济台账"),
        "short_name": _("台账"),
        "start_url": url_for("ledger.entries"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f5f6f8",
        "theme_color": "#a61b1b",
        "icons": icons,
    }
    return current_app.response_class(current_app.json.dumps(body), mimetype="application/manifest+json")


@bp.get("/offline/choices.json")
@login_required
def choices():
    """The entry form's choices in the accountant's village (projects, kinds, units, households, village
    groups, and for the spending kinds the county's categories and the payment methods), for the offline
    queue's list and the form opened with no signal; the service worker keeps a copy until logout."""
    village = catalog.get_village(None, current_user, "create_entry")
    households = catalog.households_for(current_user, village)
    return jsonify(
        {
            "projects": {p.id: p.name for p in catalog.projects_for(current_user, village)},
            "kinds": {code: str(label) for code, label in KINDS.labels.items()},
            "units": {code: str(label) for code, label in UNITS.labels.items()},
            "households": {h.id: household_name(h, village) for h in households},
            "groups": {g.code: g.name for g in village_groups(village.id)},
            "spending_kinds": list(SPENDING_KINDS),
            "categories": list(settings.for_area(village).categories),
            "payment_methods": {code: str(label) for code, label in PAYMENT_METHODS.labels.items()},
        }
    )
