"""What replacing a household's QR code will do, said before it is done (the confirmation page)."""

from flask_babel import gettext as _

from coopapp.models import Household


def reissue_consequence(household: Household, shown_name: str) -> str:
    """Replacing the public key: the old QR code and every printed link stop working at once.
    `shown_name`: the head's name as the user may see it."""
    return _(
        "将为%(name)s户换新二维码：旧二维码和已打印的收益明细上的链接立即失效，需重新打印交给农户；不能撤销。",
        name=shown_name or f"#{household.id}",
    )
