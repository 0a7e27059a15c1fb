"""Properties of the split (largest remainder, exact to the fen) and of deductions in order."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopapp.distributions.plans import DeductionInput, allocate, apply_deductions
from coopapp.errors import Invalid

weights_st = st.dictionaries(
    keys=st.integers(min_value=1, max_value=10_000),
    values=st.decimals(min_value=0, max_value=1_000_000, places=3, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=40,
).filter(lambda w: sum(w.values()) > 0)
totals_st = st.integers(min_value=0, max_value=10**13)


def _exact(total: int, weights: dict[int, Decimal]) -> dict[int, Fraction]:
    whole = sum(Fraction(w) for w in weights.values())
    return {k: Fraction(total) * Fraction(w) / whole for k, w in weights.items()}


@settings(max_examples=300, deadline=None)
@given(total=totals_st, weights=weights_st)
def test_allocation_sums_to_the_total_and_each_part_is_within_a_fen(total, weights):
    parts = allocate(total, weights)
    assert set(parts) == set(weights)
    assert sum(parts.values()) == total
    exact = _exact(total, weights)
    for key, part in parts.items():
        assert isinstance(part, int)
        assert abs(part - exact[key]) < 1
        assert part >= 0
        if weights[key] == 0:
            assert part == 0


@settings(max_examples=300, deadline=None)
@given(total=totals_st, weights=weights_st)
def test_extra_fen_go_to_the_largest_remainders_then_smaller_ids(total, weights):
    parts = allocate(total, weights)
    exact = _exact(total, weights)
    remainder = {k: exact[k] - int(exact[k]) for k in weights}
    rounded_up = {k for k, part in parts.items() if part > int(exact[k])}
    left_down = set(weights) - rounded_up
    for up in rounded_up:
        for down in left_down:
            assert (remainder[up], -up) > (remainder[down], -down)


@settings(max_examples=100, deadline=None)
@given(total=totals_st, weights=weights_st, data=st.data())
def test_allocation_does_not_depend_on_the_order_of_the_households(total, weights, data):
    order = data.draw(st.permutations(list(weights)))
    assert allocate(total, {k: weights[k] for k in order}) == allocate(total, weights)


def test_ties_go_to_the_smaller_household_id():
    assert allocate(1, {3: Decimal(1), 1: Decimal(1), 2: Decimal(1)}) == {1: 1, 2: 0, 3: 0}
    assert allocate(2, {9: Decimal(1), 4: Decimal(1), 7: Decimal(1)}) == {4: 1, 7: 1, 9: 0}
    assert allocate(100, {1: Decimal("0.001"), 2: Decimal("0.002")}) == {1: 33, 2: 67}


def test_allocate_refuses_no_weight_or_a_negative_one():
    with pytest.raises(ValueError):
        allocate(100, {1: Decimal(0)})
    with pytest.raises(ValueError):
        allocate(100, {1: Decimal(2), 2: Decimal(-1)})


deduction_st = st.one_of(
    st.builds(
        DeductionInput,
        kind=st.sampled_from(["maintenance", "land_rent", "collective", "welfare_jobs", "other"]),
        percent_bp=st.integers(min_value=0, max_value=10_000),
    ),
    st.builds(
        DeductionInput,
        kind=st.sampled_from(["maintenance", "land_rent", "collective", "other"]),
        fixed_fen=st.integers(min_value=0, max_value=10**9),
    ),
)


@settings(max_examples=300, deadline=None)
@given(pool=st.integers(min_value=1, max_value=10**13), deductions=st.lists(deduction_st, max_size=6))
def test_deductions_apply_in_order_each_percentage_of_what_remains(app, pool, deductions):
    with app.test_request_context():
        remaining, expected, too_much = pool, [], False
        for d in deductions:
            if d.percent_bp is not None:
                share = Fraction(remaining) * d.percent_bp / 10_000
                amount = int((Decimal(remaining) * d.percent_bp / 10_000).quantize(Decimal(1), ROUND_HALF_UP))
                assert abs(amount - share) <= Fraction(1, 2)
            else:
                amount = d.fixed_fen
            if amount > remaining:
                too_much = True
                break
            expected.append(amount)
            remaining -= amount
        if too_much:
            with pytest.raises(Invalid) as err:
                apply_deductions(pool, deductions)
            assert "deductions" in err.value.fields
            return
        amounts = apply_deductions(pool, deductions)
        assert amounts == expected
        assert all(a >= 0 for a in amounts)
        assert sum(amounts) <= pool


def test_a_percentage_is_of_what_remains_not_of_the_pool(app):
    with app.test_request_context():
        rows = [
            DeductionInput("maintenance", fixed_fen=1_000_00),
            DeductionInput("collective", percent_bp=1500),
            DeductionInput("welfare_jobs", percent_bp=1000),
        ]
        # 30,000 − 1,000 = 29,000; 15% of it = 4,350; 10% of the 24,650 left = 2,465.
        assert apply_deductions(3_000_000, rows) == [100_000, 435_000, 246_500]
        # Order matters: the percentage first takes 15% of the whole pool.
        assert apply_deductions(3_000_000, [rows[1], rows[0]]) == [450_000, 100_000]
