"""The forms of party organisations: a new organisation, an upgrade."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from coopapp.core.forms import choices
from coopapp.core.vocabulary import PARTY_ORG_KINDS
from coopapp.villages.party_orgs import PartyOrgInput


class PartyOrgForm(FlaskForm):
    """A party organisation of a village or group; a joint branch's groups come beside it."""

    name = StringField(_l("党组织名称"), validators=[DataRequired(_l("请填写党组织名称。")), Length(max=100)])
    kind = SelectField(_l("类型"), choices=choices(PARTY_ORG_KINDS))
    area = StringField(
        _l("所在村或村民小组（名称或代码）"), validators=[DataRequired(_l("请填写名称或代码。")), Length(max=50)]
    )
    founded = DateField(_l("成立日期"), validators=[Optional()])

    def to_input(self, group_codes: list[str]) -> PartyOrgInput:
        """The operation's input."""
        return PartyOrgInput(self.name.data, self.kind.data, self.area.data, group_codes, self.founded.data)


class UpgradeForm(FlaskForm):
    """The organisation became another kind on a date."""

    kind = SelectField(_l("升格为"), choices=choices(PARTY_ORG_KINDS))
    date = DateField(_l("日期"), validators=[DataRequired(_l("请填写日期。"))])


class PartyOrgChangeForm(FlaskForm):
    """A correction: a new name, another village or group (a joint branch's groups come beside it)."""

    name = StringField(_l("党组织名称"), validators=[Optional(), Length(max=100)])
    area = StringField(_l("所在村或村民小组（名称或代码）"), validators=[Optional(), Length(max=50)])
