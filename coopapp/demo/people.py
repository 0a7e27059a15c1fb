"""Synthetic households: names, ID numbers, phones, flags and cooperative shares.

Every person here is invented. Names are drawn from surnames common in Huidong
and from everyday given names; ID numbers are synthetic (prefix 441323, a birth
date, a serial, the GB 11643 check digit) and phones are 138000xxxxx.
"""

import random
from datetime import date
from decimal import Decimal

from coopapp.core.codes import id_number_check_digit
from coopapp.models import Area, Household, Membership

SURNAMES = "李李李陈陈陈黄黄张张刘刘叶叶罗罗钟钟曾邓林何吴杨朱徐江赖蔡温古练邱廖彭卢胡谢"
GIVEN_FIRST = "国建志伟文德新金春亚桂秀玉丽海永光振庆水明华荣木观石带招"
GIVEN_SECOND = "强华明伟生胜辉平发英兰珍妹娣凤清林财福安才贵良成昌根荣娇"


class People:
    """Makes unique synthetic ID numbers and phones across the whole demo."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._phones = 0

    def id_number(self, rng: random.Random, born: date) -> str:
        serial = rng.randint(1, 999)
        while True:
            first17 = f"441323{born:%Y%m%d}{serial:03d}"
            if first17 not in self._ids:
                self._ids.add(first17)
                return first17 + id_number_check_digit(first17)
            serial = serial % 999 + 1

    def phone(self) -> str:
        self._phones += 1
        return str(13800000000 + self._phones)


def person_name(rng: random.Random) -> str:
    """A plausible (synthetic) Chinese name: surname + one or two given characters."""
    given = rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND) if rng.random() < 0.85 else rng.choice(GIVEN_SECOND)
    return rng.choice(SURNAMES) + given


def make_households(
    rng: random.Random, people: People, village: Area, groups: list[Area], count: int
) -> list[Household]:
    """`count` households spread over the village's groups (≈10–20% formerly poor, a few monitored)."""
    poor_rate = rng.uniform(0.10, 0.20)
    names: set[str] = set()
    households = []
    for _ in range(count):
        name = person_name(rng)
        while name in names:
            name = person_name(rng)
        names.add(name)
        born = date(rng.randint(1948, 1995), rng.randint(1, 12), rng.randint(1, 28))
        households.append(
            Household(
                village_id=village.id,
                group_id=rng.choice(groups).id,
                head_name=name,
                members=rng.choices((1, 2, 3, 4, 5, 6, 7), weights=(5, 12, 18, 25, 20, 12, 8))[0],
                phone=people.phone(),
                id_number=people.id_number(rng, born),
                formerly_poor=rng.random() < poor_rate,
            )
        )
    # A few households under monitoring against falling back into poverty (监测户).
    for household in rng.sample(households, rng.randint(1, 3)):
        household.monitored = True
    return households


def make_memberships(
    rng: random.Random, cooperative_id: int, households: list[Household], share: float
) -> list[Membership]:
    """Members of a cooperative: about `share` of the village, formerly poor households favoured."""
    members = [h for h in households if h.formerly_poor or rng.random() < share]
    since = date(2023, rng.randint(1, 6), 1)
    return [
        Membership(
            household_id=h.id,
            cooperative_id=cooperative_id,
            shares=Decimal(rng.choice((1, 2, 2, 3, 5, 5, 8, 10, 12, 20)))
            + (Decimal("0.5") if rng.random() < 0.1 else 0),
            since=since,
        )
        for h in members
    ]
