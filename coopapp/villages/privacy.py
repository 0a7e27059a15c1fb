"""Who sees a village's households in full: the one rule every page, export, API answer, plan and
statement asks.

- Names (户主) in full for whoever may see the village's private data ('view_private': its
  accountant and secretary); masked as 张*丰 for everyone else.
- Identity — ID numbers and phones — in full only for whoever may manage the village's households
  ('manage_village': its secretary); masked as 4413**********1234 and 138****5678 for everyone else.

The pages go one step further on purpose: lists and detail pages mask identity for everyone, the
secretary included (`page_privacy`); only the household's edit form shows it.
"""

from dataclasses import dataclass, replace

from coopapp.access.scope import can
from coopapp.core.codes import mask_id_number, mask_name, mask_phone
from coopapp.models import Area, User


@dataclass(frozen=True)
class Privacy:
    """What of a village's households a user sees in full: names, and identity (ID numbers, phones)."""

    names: bool
    identity: bool

    def name(self, value: str | None) -> str:
        """A head's name as shown: in full or masked."""
        return (value or "") if self.names else mask_name(value)

    def phone(self, value: str | None) -> str:
        """A phone number as shown: in full or masked ("" when there is none)."""
        return (value or "") if self.identity else mask_phone(value)

    def id_number(self, value: str | None) -> str:
        """An ID number as shown: in full or masked ("" when there is none)."""
        return (value or "") if self.identity else mask_id_number(value)


# Everything masked: what the public pages (a household's statement, 村务公开) show to anyone,
# and what a user sees of a village whose private data they may not see.
MASKED = Privacy(names=False, identity=False)


def household_privacy(user: User, village: Area) -> Privacy:
    """What `user` sees in full of `village`'s households: names with 'view_private', identity only
    with 'manage_village' (who may edit the households sees what the edit form shows anyway)."""
    return Privacy(names=can(user, "view_private", village), identity=can(user, "manage_village", village))


def page_privacy(user: User, village: Area) -> Privacy:
    """`household_privacy` for list and detail pages: identity always masked (only the edit form shows it)."""
    return replace(household_privacy(user, village), identity=False)
