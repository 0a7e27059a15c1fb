"""Each vocabulary once: codes, labels, file names and aliases are unique, and the import reads
every name and alias a file may write."""

import csv
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from coopapp.core import periods
from coopapp.core.money import ParseError
from coopapp.core.units import to_base, unit_code
from coopapp.core.vocabulary import KINDS, KINDS_AS_LISTED, PAYOUT_KINDS, UNITS, VOCABULARIES, Unit
from coopapp.imports.ledger import import_ledger
from coopapp.imports.parse import squash
from coopapp.ledger import operations as ledger
from coopapp.models import LedgerEntry


@pytest.mark.parametrize("name", VOCABULARIES)
def test_codes_labels_names_and_aliases_are_unique(app, name):
    vocabulary = VOCABULARIES[name]
    codes = [term.code for term in vocabulary.terms]
    assert list(vocabulary) == codes and len(set(codes)) == len(codes)
    names = list(vocabulary.names.values())
    assert len(set(names)) == len(names)
    with app.test_request_context():
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                labels = [str(term.label) for term in vocabulary.terms]
            assert len(set(labels)) == len(labels), (locale, labels)
    # Whatever a file writes (the way the imports compare it) means one code only.
    meaning = defaultdict(set)
    for term in vocabulary.terms:
        for text in (term.code, term.name, *term.aliases):
            meaning[squash(text)].add(term.code)
    assert {text: codes for text, codes in meaning.items() if len(codes) > 1} == {}


def test_a_label_is_its_name_in_the_source_language(app):
    """The name files use is the Chinese label, except where a vocabulary says otherwise (kW; 成本, shown
    as 经营支出 but written 成本 in files so that old files and exports still import)."""
    with app.test_request_context(), force_locale("zh_CN"):
        differ = {
            (name, term.code)
            for name, vocabulary in VOCABULARIES.items()
            for term in vocabulary.terms
            if str(term.label) != term.name
        }
    assert differ == {("capacity_unit", "kW"), ("kind", "cost")}


def test_the_groupings_are_made_of_the_vocabularys_codes():
    assert set(PAYOUT_KINDS) < set(KINDS)
    assert sorted(KINDS_AS_LISTED) == sorted(KINDS)
    assert all(isinstance(unit, Unit) and unit.base in UNITS for unit in UNITS.terms)


@pytest.mark.parametrize("unit", UNITS.terms, ids=lambda unit: unit.code)
def test_every_way_of_writing_a_unit_resolves_to_it(app, unit):
    with app.test_request_context():
        for text in (unit.code, unit.code.upper(), unit.name, *unit.aliases, f" {unit.name} "):
            assert unit_code(text) == unit.code, text
        assert to_base(Decimal(10), unit.name) == (10 * unit.factor, unit.base)


def test_an_unknown_unit_lists_every_units_name(app):
    with app.test_request_context(), pytest.raises(ParseError) as err:
        unit_code("桶")
    assert str(err.value) == "未知单位：“桶”（可用：千克、斤、箱、千瓦时、度、人次）"


def _last_month() -> str:
    return periods.period_of(ledger.today().replace(day=1) - timedelta(days=1))


def _write_csv(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["月份", "类别", "数量", "单位", "金额", "户主"])
        writer.writerows(rows)
    return path


def test_the_import_reads_every_name_and_alias_of_every_kind_and_unit(app, db, world, tmp_path):
    period = _last_month()
    expected = []  # (kind, quantity, unit) of each row, as stored
    rows = []
    for term in KINDS.terms:
        household = "张三丰" if term.code in PAYOUT_KINDS else ""
        for text in (term.code, term.name, *term.aliases):
            rows.append([period, text, "", "", "1.00", household])
            expected.append((term.code, None, None))
    for unit in UNITS.terms:
        for text in (unit.code, unit.name, *unit.aliases):
            rows.append([period, "产值", "10", text, "1.00", ""])
            expected.append(("output", 10 * unit.factor, unit.base))
    path = _write_csv(tmp_path / "every-name.csv", rows)

    report = import_ledger(world.users["accountant"], world.project, path, path.name)

    assert report.errors == [] and report.imported and report.rows_ok == len(rows)
    entries = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
    assert [(e.kind, e.quantity, e.unit) for e in entries] == expected


def test_an_unknown_kind_lists_every_kinds_name(app, db, world, tmp_path):
    path = _write_csv(tmp_path / "unknown.csv", [[_last_month(), "卖蜂蜜", "", "", "1.00", ""]])

    report = import_ledger(world.users["accountant"], world.project, path, path.name, dry_run=True)

    [error] = report.errors
    listed = "、".join(KINDS.names[code] for code in KINDS_AS_LISTED)
    assert error.message == f"未知类别（可用：{listed}）。"
    assert set(listed.split("、")) == set(KINDS.names.values())
