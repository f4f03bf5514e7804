"""money.py: properties (hypothesis) and worked examples to the fen."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.fees import money
from backend.fees.money import Charge, charge_lines, largest_remainder, per_day

FEES = st.integers(min_value=0, max_value=50_000)


# Worked examples -------------------------------------------------------------------


def test_per_day_worked_examples():
    assert per_day(8000, 15, 22) == 5455  # 5454.55 rounds up
    assert per_day(6000, 10, 22) == 2727  # 2727.27 rounds down
    assert per_day(8000, 2, 22) == 727  # 727.27
    assert per_day(100, 1, 8) == 13  # 12.5: exactly half goes up
    assert per_day(300, 1, 8) == 38  # 37.5
    assert per_day(8000, 22, 22) == 8000
    assert per_day(8000, 0, 22) == 0
    with pytest.raises(ValueError):
        per_day(8000, 1, 0)


def test_half_up_is_symmetric_for_negatives():
    assert money.half_up(-25, 2) == -13 and money.half_up(25, 2) == 13
    assert money.percent_of(5455, 50) == 2728  # 2727.5 -> 2728


def test_largest_remainder_worked_example():
    # 1000 fen surplus among payers of 8000, 8000 and 5455 fen (sum 21455):
    # exact 372.87, 372.87, 254.25 -> floors 372, 372, 254 (998); the 2 fen left go to
    # the two largest remainders (the two 8000s).
    assert largest_remainder(1000, [8000, 8000, 5455]) == [373, 373, 254]
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]  # tie: the earlier weight
    assert largest_remainder(0, [5, 5]) == [0, 0]
    assert largest_remainder(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        largest_remainder(5, [0, 0])


def test_full_exemption_after_proration_and_leave_leaves_zero():
    lines = charge_lines(
        Charge(
            base_fee_fen=8000,
            courses=[("围棋", 1500)],
            service_days=22,
            attended_days=15,
            leave_days=2,
            exemption_percent=100,
            exemption_label="低保",
            late_join=True,
        )
    )
    # 9500×15÷22 = 6477.27 -> 6477 charged; leave 9500×2÷22 = 863.64 -> 864 back;
    # remaining 5613 waived in full.
    assert [(ln.kind, ln.amount_fen) for ln in lines] == [
        ("base_fee", 8000),
        ("course_fee", 1500),
        ("proration", 6477 - 9500),
        ("leave_refund", -864),
        ("exemption", -5613),
    ]
    assert money.total(lines) == 0


def test_partial_exemption_half():
    lines = charge_lines(
        Charge(
            base_fee_fen=8000,
            courses=[],
            service_days=22,
            attended_days=22,
            exemption_percent=50,
            exemption_label="特困",
        )
    )
    assert lines[-1].kind == "exemption" and lines[-1].amount_fen == -4000
    assert "四舍五入到分" in lines[-1].description
    assert money.total(lines) == 4000


def test_balance_and_refundable():
    assert money.balance(8000, 10000, 0) == -2000  # a credit of 20 yuan
    assert money.balance(8000, 10000, 0, 2000) == 0  # once carried to the next statement
    assert money.refundable(8000, 3000) == 5000
    assert money.refundable(0, 0) == 0
    assert money.yuan(5455) == "54.55" and money.yuan(-5) == "-0.05"


# Properties -------------------------------------------------------------------------


@st.composite
def charges(draw):
    n = draw(st.integers(min_value=1, max_value=31))
    attended = draw(st.integers(min_value=1, max_value=n))
    return Charge(
        base_fee_fen=draw(FEES),
        courses=draw(st.lists(st.tuples(st.just("课"), FEES), max_size=3)),
        service_days=n,
        attended_days=attended,
        leave_days=draw(st.integers(min_value=0, max_value=attended)),
        exemption_percent=draw(st.sampled_from([0, 0, 25, 50, 100])),
        exemption_label="低保",
        late_join=draw(st.booleans()),
    )


@given(charges())
def test_lines_sum_to_the_total_and_never_below_zero(c):
    lines = charge_lines(c)
    fee = c.base_fee_fen + sum(a for _, a in c.courses)
    assert money.total(lines) == sum(ln.amount_fen for ln in lines)
    # what the family owes is the per-day share of attended days not on leave, within
    # rounding of the two per-day figures, reduced by the exemption; never negative
    assert 0 <= money.total(lines) <= fee
    if c.exemption_percent == 100:
        assert money.total(lines) == 0
    if c.attended_days == c.service_days and not c.leave_days and not c.exemption_percent:
        assert money.total(lines) == fee
    for ln in lines:
        assert isinstance(ln.amount_fen, int)


@given(FEES, st.integers(min_value=1, max_value=31), st.data())
def test_proration_parts_over_a_split_period_sum_within_rounding(fee, n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    first, second = per_day(fee, k, n), per_day(fee, n - k, n)
    assert abs(first + second - fee) <= 1  # each half-up part is within half a fen
    assert 0 <= first <= fee


@given(
    st.integers(min_value=0, max_value=10**7),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60),
)
def test_largest_remainder_parts_sum_exactly_and_stay_proportional(total, weights):
    if sum(weights) == 0:
        total = 0
    parts = largest_remainder(total, weights)
    assert sum(parts) == total
    whole = sum(weights) or 1
    for part, w in zip(parts, weights, strict=True):
        exact = total * w / whole
        assert part >= 0 and abs(part - exact) < 1
        if w == 0:
            assert part == 0


@given(
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=40),
    st.integers(min_value=0, max_value=10**7),
)
def test_surplus_refund_never_exceeds_what_each_paid(paid, expenses):
    income = sum(paid)
    surplus = income - expenses
    if surplus <= 0:
        return
    parts = largest_remainder(surplus, paid)
    assert sum(parts) == surplus
    for part, p in zip(parts, paid, strict=True):
        assert part <= money.refundable(p, 0)


@given(st.lists(st.integers(min_value=1, max_value=10**5), max_size=20), st.data())
def test_refunds_bounded_by_paid_minus_refunded(payments, data):
    paid, refunded = sum(payments), 0
    for _ in range(5):
        asked = data.draw(st.integers(min_value=1, max_value=2 * 10**6))
        if asked <= money.refundable(paid, refunded):
            refunded += asked
        assert refunded <= paid
