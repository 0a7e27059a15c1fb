"""One rule for who sees households in full (`villages.privacy`): names for whoever may see the
village's private data, ID numbers and phones only for its secretary; pages mask identity for all.
The API, the roster export and the pages all give what the rule says."""

import pytest

from coopapp.villages.privacy import MASKED, Privacy, household_privacy, page_privacy

from .builders import body, csv_rows, id_number, login

OWN = "441323110201"  # 中洞村: the world's accountant's and secretary's village
MASKED_ID = id_number(1)[:4] + "*" * 10 + id_number(1)[-4:]

# username → what that user sees in full of 中洞村's households
RULE = {
    "sec": Privacy(names=True, identity=True),  # manages the households
    "acc": Privacy(names=True, identity=False),  # sees the village's private data, does not manage it
    "acc2": MASKED,  # another village's accountant
    "sec2": MASKED,  # another village's secretary
    "town": MASKED,  # reviewers
    "county": MASKED,
    "admin": MASKED,
}
# Who may read 中洞村's households at all (the others get 403).
READERS = ["sec", "acc", "town", "county", "admin"]


def _user(world, username: str):
    return next(u for u in world.users.values() if u.username == username)


@pytest.mark.parametrize("username", sorted(RULE))
def test_the_rule_over_roles(db, world, username):
    privacy = household_privacy(_user(world, username), world.village)
    assert privacy == RULE[username]
    # the pages never show identity, whoever looks
    assert page_privacy(_user(world, username), world.village) == Privacy(names=RULE[username].names, identity=False)


def test_the_rule_for_a_secretary_ends_at_the_village(db, world):
    assert household_privacy(world.users["secretary"], world.other_village) == MASKED
    assert household_privacy(world.users["secretary"], world.sibling_village) == MASKED
    assert household_privacy(None, world.village) == MASKED


def test_privacy_shows_or_masks_each_value():
    full, masked = Privacy(names=True, identity=True), MASKED
    assert (full.name("张三丰"), full.phone("13800000001"), full.id_number(id_number(1))) == (
        "张三丰",
        "13800000001",
        id_number(1),
    )
    assert (masked.name("张三丰"), masked.phone("13800000001"), masked.id_number(id_number(1))) == (
        "张*丰",
        "138****0001",
        MASKED_ID,
    )
    names_only = Privacy(names=True, identity=False)
    assert (names_only.name("李四"), names_only.phone("13800000002")) == ("李四", "138****0002")
    for privacy in (full, masked):  # a missing phone or ID number stays missing
        assert privacy.phone(None) == privacy.id_number(None) == privacy.name(None) == ""


# The API's answer for the world's first household, per role; `masked` means "identity masked".
API_ANSWER = {
    "sec": ("张三丰", "13800000001", id_number(1), False),
    "acc": ("张三丰", "138****0001", MASKED_ID, True),
    "town": ("张*丰", "138****0001", MASKED_ID, True),
    "county": ("张*丰", "138****0001", MASKED_ID, True),
    "admin": ("张*丰", "138****0001", MASKED_ID, True),
}


@pytest.mark.parametrize("username", READERS)
def test_api_households_are_masked_per_role(app, world, username):
    rows = body(login(app, username).get(f"/api/v1/households?village={OWN}"))
    first = next(h for h in rows if h["id"] == world.households[0].id)
    assert (first["head_name"], first["phone"], first["id_number"], first["masked"]) == API_ANSWER[username]
    assert len(rows) == len(world.households)


def test_the_accountant_never_gets_identity_from_the_api(app, world):
    rows = body(login(app, "acc").get("/api/v1/households"))
    assert {h["village"] for h in rows} == {OWN} and all(h["masked"] for h in rows)
    for h in world.households:
        (row,) = [r for r in rows if r["id"] == h.id]
        assert row["head_name"] == h.head_name
        assert h.phone not in str(rows) and h.id_number not in str(rows)


def test_create_household_answers_in_full_to_the_secretary_only(app, world):
    payload = {"head_name": "陈七", "members": 2, "phone": "13912345678", "id_number": id_number(42)}
    created = body(login(app, "sec").post("/api/v1/households", json=payload))
    assert (created["head_name"], created["phone"], created["id_number"], created["masked"]) == (
        "陈七",
        "13912345678",
        id_number(42),
        False,
    )
    # Nobody else may register one; the accountant reads it back with its identity masked.
    assert login(app, "acc").post("/api/v1/households", json={**payload, "id_number": id_number(43)}).status_code == 403
    (row,) = [h for h in body(login(app, "acc").get("/api/v1/households")) if h["id"] == created["id"]]
    assert (row["head_name"], row["phone"], row["id_number"], row["masked"]) == (
        "陈七",
        "139****5678",
        id_number(42)[:4] + "*" * 10 + id_number(42)[-4:],
        True,
    )


@pytest.mark.parametrize("username", READERS)
def test_roster_export_and_api_agree(app, world, client, auth, username):
    auth.login(username)
    resp = client.get(f"/village/households/export.csv?village={OWN}")
    assert resp.status_code == 200
    exported = [(r[0], r[3].lstrip("\t") or None, r[4].lstrip("\t") or None) for r in csv_rows(resp.data)[1:]]
    answered = body(login(app, username).get(f"/api/v1/households?village={OWN}"))
    assert exported == [(h["head_name"], h["phone"], h["id_number"]) for h in answered]
    # and both are what the rule says
    rule = RULE[username]
    assert exported == [
        (rule.name(h.head_name), rule.phone(h.phone), rule.id_number(h.id_number)) for h in world.households
    ]


@pytest.mark.parametrize("username", ["sec", "acc", "town"])
def test_pages_mask_identity_for_everyone(world, client, auth, username):
    auth.login(username)
    h = world.households[0]
    for path in (f"/village/households?village={OWN}", f"/village/households/{h.id}"):
        html = client.get(path).text
        assert h.id_number not in html and h.phone not in html
        assert "138****0001" in html
        assert (h.head_name in html) is RULE[username].names
