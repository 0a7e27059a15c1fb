"""User administration: create, change, deactivate, reset a password — each inside the actor's
own scope and never to a role above the actor's own (delegation: a town's admin manages that
town's people only). `actor=None` is the command line, which the server's operator runs."""

import re
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.access import audit, throttle
from coopapp.access.accounts import end_user_access, hash_password, password_problem
from coopapp.access.places import area_by_code_or_name
from coopapp.access.scope import GROUP_ROLES, TOWN_ROLES, VILLAGE_ROLES, area_clause, authorize, can
from coopapp.core.codes import canonical_area_code
from coopapp.core.tx import atomic
from coopapp.core.vocabulary import ROLE_RANKS, ROLES
from coopapp.errors import Invalid, NotFound
from coopapp.extensions import db
from coopapp.models import LEVELS, Area, User

# Digits with spaces or dashes between them (a mobile 138 0000 0000, a landline 0752-8888888).
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]*[0-9]$")
_USERNAME = re.compile(r"^[^\s/\\]+$")
# One-time passwords are read off paper: no 0/O, 1/l/I.
_OTP_LETTERS = "abcdefghjkmnpqrstuvwxyz"
_OTP_DIGITS = "23456789"
CHANGEABLE = ("display_name", "role", "area", "phone", "active")


@dataclass
class UserInput:
    """A user as a form, a request body, a sheet row or the command line gives it (role: a code or
    its Chinese name; area: an area code)."""

    username: str = ""
    display_name: str | None = None
    role: str = ""
    area: str = ""
    phone: str | None = None


@dataclass(frozen=True)
class UserRow:
    """One user as the lists show it."""

    username: str
    display_name: str
    role: str
    role_label: str
    area: str
    area_name: str
    phone: str
    active: bool
    locked: bool

    def as_dict(self) -> dict:
        keys = ("username", "display_name", "role", "area", "phone", "active", "locked")
        return {key: getattr(self, key) for key in keys}


def one_time_password() -> str:
    """A password to hand over on paper, e.g. `kmtp-4827-xwha` (meets the password policy)."""
    pick = secrets.choice
    parts = ("".join(pick(_OTP_LETTERS) for _ in range(4)), "".join(pick(_OTP_DIGITS) for _ in range(4)))
    return f"{parts[0]}-{parts[1]}-{''.join(pick(_OTP_LETTERS) for _ in range(4))}"


def role_code(text: str | None) -> str | None:
    """The role a code or a Chinese name means (会计, 村书记, reviewer…), or None."""
    written = {key.lower(): code for key, code in ROLES.written().items()}
    return written.get((text or "").strip().lower())


def _role_problem(actor: User | None, text: str) -> tuple[str | None, str | None]:
    code = role_code(text)
    if code is None:
        names = "、".join(f"{term.name}（{term.code}）" for term in ROLES.terms)
        return None, _("未知角色：%(r)s（可选：%(all)s）", r=(text or "").strip(), all=names)
    if actor is not None and ROLE_RANKS[code] > ROLE_RANKS.get(actor.role, 0):
        return None, _("不能授予高于您自己的角色：%(r)s。", r=ROLES.label(code))
    return code, None


def _area_problem(actor: User | None, text: str, role: str | None) -> tuple[Area | None, str | None]:
    if text and not text.strip()[:1].isdigit():  # a place's name (中洞村, 高潭镇) rather than its code
        try:
            area = area_by_code_or_name(text, LEVELS, actor.area if actor is not None else None)
        except (NotFound, Invalid) as exc:
            return None, exc.message
    else:
        try:
            code = canonical_area_code(text, field="area")
        except Invalid as exc:
            return None, exc.fields.get("area", exc.message)
        area = db.session.scalar(select(Area).where(Area.code == code))
        if area is None:
            return None, _("区域代码不存在：%(c)s", c=code)
    if area.retired:
        return None, _("区域已撤销：%(c)s %(n)s。", c=area.code, n=area.name)
    if actor is not None and not can(actor, "manage_users", area):
        return None, _("区域超出您的管辖范围：%(c)s %(n)s。", c=area.code, n=area.name)
    if role in VILLAGE_ROLES and area.level != "village":
        return None, _("村会计和村书记的范围必须是一个村。")
    if role in TOWN_ROLES and area.level != "town":
        return None, _("镇三资代理会计的范围必须是一个镇。")
    if role in GROUP_ROLES and area.level != "group":
        return None, _("村民小组长的范围必须是一个村民小组。")
    return area, None


def _display_name_problem(text: str | None) -> tuple[str, str | None]:
    if text is None or text == "":
        return "", None
    name = text.strip()
    if not name:
        return "", _("姓名不能只有空格。")
    if len(name) > 80:
        return "", _("姓名过长（最多 80 字）。")
    return name, None


def _phone_problem(text: str | None) -> tuple[str, str | None]:
    phone = (text or "").strip()
    if phone and not (7 <= len(phone) <= 20 and _PHONE.match(phone)):
        return "", _("电话号码格式不对：%(p)s（数字，可用空格或横线分隔，7–20 位）。", p=phone)
    return phone, None


def _username_problem(text: str) -> tuple[str, str | None]:
    username = (text or "").strip()
    if not username:
        return "", _("请填写用户名。")
    if len(username) > 80 or not _USERNAME.match(username):
        return "", _("用户名不能含空格或斜杠，最多 80 个字符：%(u)s", u=username)
    if db.session.scalar(select(User.id).where(User.username == username)):
        return "", _("用户名已存在：%(u)s", u=username)
    return username, None


def checked_input(actor: User | None, data: UserInput) -> tuple[dict, dict[str, str]]:
    """The new user's values and, by field, what is wrong with them (nothing written)."""
    errors, values = {}, {}
    checks = (
        ("username", lambda: _username_problem(data.username)),
        ("role", lambda: _role_problem(actor, data.role)),
        ("area", lambda: _area_problem(actor, data.area, values.get("role"))),
        ("display_name", lambda: _display_name_problem(data.display_name)),
        ("phone", lambda: _phone_problem(data.phone)),
    )
    for name, check in checks:
        values[name], problem = check()
        if problem:
            errors[name] = problem
    return values, errors


@atomic
def create_user(actor: User | None, data: UserInput, password: str | None = None) -> tuple[User, str | None]:
    """A new user and, when no `password` is given, the one-time password they must replace at
    their first login. Audited; Invalid naming each bad field, nothing written."""
    values, errors = checked_input(actor, data)
    one_time = None
    if password is None:
        password = one_time = one_time_password()
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    user = User(
        username=values["username"],
        display_name=values["display_name"],
        phone=values["phone"],
        role=values["role"],
        area_id=values["area"].id,
        password_hash=hash_password(password),
        must_change_password=one_time is not None,
    )
    db.session.add(user)
    audit.record(actor, "user.create", user)
    return user, one_time


def add_user(username: str, password: str, role: str, area_code: str, **details) -> User:
    """Create a user with the password given, scoped to an area (the command line: no actor)."""
    user, _otp = create_user(None, UserInput(username, role=role, area=area_code, **details), password)
    return user


def get_user(actor: User | None, username: str) -> User:
    """The user named `username` inside the actor's scope; NotFound otherwise (no hint either way)."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or (actor is not None and not can(actor, "manage_users", user.area)):
        raise NotFound(_("用户不存在：%(u)s", u=username))
    return user


def _may_manage(actor: User | None, user: User) -> None:
    """Forbidden unless the actor's scope covers the user's area (the command line may)."""
    if actor is not None:
        authorize(actor, "manage_users", user.area)


def _not_self(actor: User | None, user: User, changes: dict) -> None:
    if actor is not None and actor.id == user.id and set(changes) & {"role", "area", "active"}:
        message = _("不能修改自己的角色、范围或停用自己；请另一位管理员操作。")
        raise Invalid(message, {next(k for k in ("role", "area", "active") if k in changes): message})


def _changed_values(actor: User | None, user: User, changes: dict) -> tuple[dict, dict]:
    values, errors = {}, {}
    if actor is not None and ROLE_RANKS.get(user.role, 0) > ROLE_RANKS.get(actor.role, 0):
        errors["role"] = _("不能修改角色高于您自己的用户。")
    if "role" in changes:
        values["role"], problem = _role_problem(actor, changes["role"])
        errors.update({"role": problem} if problem else {})
    role = values.get("role") or user.role
    if "area" in changes or ("role" in changes and role in VILLAGE_ROLES | TOWN_ROLES | GROUP_ROLES):
        area, problem = _area_problem(actor, changes.get("area") or user.area.code, role)
        values["area"] = area
        errors.update({"area": problem} if problem else {})
    if "display_name" in changes:
        values["display_name"], problem = _display_name_problem(changes["display_name"])
        errors.update({"display_name": problem} if problem else {})
    if "phone" in changes:
        values["phone"], problem = _phone_problem(changes["phone"])
        errors.update({"phone": problem} if problem else {})
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            errors["active"] = _("“active” 必须是 true 或 false。")
        values["active"] = changes["active"]
    return values, errors


@atomic
def update_user(actor: User | None, user: User, changes: dict) -> User:
    """Change a user's display name, role, area, phone or active flag (only the keys given).

    A change of role or scope and a deactivation end the user's other access at once.
    Deactivating keeps everything the user recorded. Audited; Invalid names each bad field."""
    _may_manage(actor, user)
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise Invalid(_("不能修改的字段：%(f)s", f=", ".join(unknown)), dict.fromkeys(unknown, _("不能修改。")))
    _not_self(actor, user, changes)
    values, errors = _changed_values(actor, user, changes)
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    ends_access = False
    if "role" in values and values["role"] != user.role:
        user.role, ends_access = values["role"], True
    if "area" in values and values["area"].id != user.area_id:
        user.area_id, user.area, ends_access = values["area"].id, values["area"], True
    if "active" in values and values["active"] != user.active:
        user.active = values["active"]
        ends_access = ends_access or not user.active
    for name in ("display_name", "phone"):
        if name in values:
            setattr(user, name, values[name])
    if ends_access:
        end_user_access(user)
    audit.record(actor, "user.update", user)
    return user


def deactivate_user(actor: User | None, user: User) -> User:
    """Stop the user logging in (their records stay); ends their sessions and tokens."""
    return update_user(actor, user, {"active": False})


def activate_user(actor: User | None, user: User) -> User:
    """Let a deactivated user log in again."""
    return update_user(actor, user, {"active": True})


@atomic
def reset_password(actor: User | None, user: User) -> str:
    """Give the user a one-time password (returned, shown once) that they must replace at their
    next login; ends their sessions and tokens. Audited."""
    _may_manage(actor, user)
    if actor is not None and ROLE_RANKS.get(user.role, 0) > ROLE_RANKS.get(actor.role, 0):
        raise Invalid(_("不能修改角色高于您自己的用户。"), {"role": _("不能修改角色高于您自己的用户。")})
    if actor is not None and actor.id == user.id:
        message = _("请用“修改密码”更改自己的密码。")
        raise Invalid(message, {"username": message})
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_user_access(user)
    audit.record(actor, "user.reset_password", user)
    return password


def users_named(usernames: list[str]) -> list[User]:
    """The users with these names (their areas loaded with them)."""
    return list(db.session.scalars(select(User).where(User.username.in_(usernames))))


def list_users(actor: User | None, under: Area | None = None) -> list[UserRow]:
    """The users inside the actor's scope (optionally under one area), by area code then username."""
    q = select(User, Area).join(Area, Area.id == User.area_id)
    if actor is not None:
        q = q.where(area_clause(actor))
    if under is not None:
        q = q.where(Area.path.startswith(under.path, autoescape=True))
    found = db.session.execute(q.order_by(Area.code, User.username)).all()
    locked = throttle.held_back([user.id for user, _area in found])
    rows = []
    for user, area in found:
        rows.append(
            UserRow(
                user.username,
                user.display_name or "",
                user.role,
                ROLES.label(user.role),
                area.code,
                area.name,
                user.phone or "",
                bool(user.active),
                user.id in locked,
            )
        )
    return rows


def held_back_users(actor: User) -> int:
    """How many users of the actor's scope are held back by failed logins now (the users page
    offers 解锁 for each): two queries, however many users."""
    held = throttle.held_back_now()
    if not held:
        return 0
    q = select(func.count()).select_from(User).join(Area, Area.id == User.area_id)
    return db.session.scalar(q.where(area_clause(actor), User.id.in_(held))) or 0


def users_in_retired_areas(actor: User) -> int:
    """How many active users of the actor's scope still work in a retired (merged or closed) area:
    they should be moved to the area that took over, or deactivated."""
    q = select(func.count()).select_from(User).join(Area, Area.id == User.area_id)
    return db.session.scalar(q.where(area_clause(actor), Area.retired.is_(True), User.active.is_(True))) or 0
