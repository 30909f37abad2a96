"""Quote comparison for collective purchases."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.quotes import Quote, QuoteFigures, compare_quotes, round_eur, round_years

D = Decimal


def only(quote: Quote) -> QuoteFigures:
    (figures,) = compare_quotes([quote])
    return figures


# --- worked examples ----------------------------------------------------------


def test_solar_worked_example():
    # 10 panels × 400 Wp = 4000 Wp for €5,200, saving €650 a year.
    figures = only(Quote("Zon BV", D("5200"), watt_peak=D(10 * 400), yearly_saving_eur=D("650")))
    assert figures.eur_per_wp == D("1.3")
    assert figures.payback_years == D("8")
    assert figures.eur_per_m2 is None
    assert figures.basis == "payback_years"
    assert figures.rounded() == {
        "total_eur": D("5200.00"),
        "eur_per_m2": None,
        "eur_per_wp": D("1.30"),
        "payback_years": D("8.0"),
    }
    assert str(figures.rounded()["eur_per_wp"]) == "1.30"
    assert str(figures.rounded()["payback_years"]) == "8.0"


def test_insulation_worked_example():
    # 60 m² of cavity wall for €2,100, saving €420 a year.
    figures = only(Quote("Isoleer & Co", D("2100"), area_m2=D("60"), yearly_saving_eur=D("420")))
    assert figures.eur_per_m2 == D("35")
    assert figures.payback_years == D("5")
    assert figures.eur_per_wp is None


def test_exact_values_are_kept_and_rounding_is_for_display():
    figures = only(Quote("A", D("6000"), yearly_saving_eur=D("700")))
    assert figures.payback_years != D("8.6")
    assert figures.payback_years == D(6000) / D(700)
    assert figures.rounded()["payback_years"] == D("8.6")
    assert figures.payback_years != D("8.6")  # rounded() did not change the object


def test_rounding_helpers_round_half_up():
    assert round_eur(D("1.005")) == D("1.01")
    assert round_eur(D("1.004999")) == D("1.00")
    assert round_eur(D("7")) == D("7.00")
    assert round_years(D("7.95")) == D("8.0")
    assert round_years(D("7.94")) == D("7.9")


def test_results_do_not_depend_on_the_callers_decimal_context():
    with localcontext() as ctx:
        ctx.prec = 3
        figures = only(Quote("A", D("123456"), watt_peak=D("98765")))
    assert figures.eur_per_wp == D(123456) / D(98765)  # full 28-digit precision


# --- ordering and flags -------------------------------------------------------


def test_sorted_by_payback_when_known():
    slow = Quote("Slow", D("4000"), watt_peak=D("4000"), yearly_saving_eur=D("400"))  # 10 y, 1.00
    fast = Quote("Fast", D("6000"), watt_peak=D("4000"), yearly_saving_eur=D("1000"))  # 6 y, 1.50
    result = compare_quotes([slow, fast])
    assert [f.supplier for f in result] == ["Fast", "Slow"]
    # The flags are per figure: the slow one is still the cheapest per Wp.
    fast_f, slow_f = result
    assert fast_f.shortest_payback and not fast_f.cheapest_per_wp
    assert slow_f.cheapest_per_wp and not slow_f.shortest_payback
    assert fast_f.best_on == ("payback_years",)
    assert slow_f.best_on == ("eur_per_wp",)


def test_sorted_by_eur_per_wp_without_payback():
    a = Quote("A", D("5600"), watt_peak=D("4000"))  # 1.40
    b = Quote("B", D("6600"), watt_peak=D("6000"))  # 1.10
    c = Quote("C", D("3000"), watt_peak=D("2400"))  # 1.25
    assert [f.supplier for f in compare_quotes([a, b, c])] == ["B", "C", "A"]


def test_sorted_by_eur_per_m2_as_the_last_figure():
    a = Quote("A", D("3000"), area_m2=D("60"))  # 50
    b = Quote("B", D("2000"), area_m2=D("50"))  # 40
    result = compare_quotes([a, b])
    assert [f.supplier for f in result] == ["B", "A"]
    assert result[0].cheapest_per_m2 and not result[1].cheapest_per_m2
    assert result[0].basis == "eur_per_m2"


def test_quotes_with_payback_come_before_those_without():
    with_payback = Quote("Known", D("9000"), watt_peak=D("4000"), yearly_saving_eur=D("500"))
    without = Quote("Unknown", D("4000"), watt_peak=D("4000"))
    bare = Quote("Bare", D("100"))
    result = compare_quotes([bare, without, with_payback])
    assert [f.supplier for f in result] == ["Known", "Unknown", "Bare"]
    assert result[2].basis is None


def test_ties_flag_every_cheapest_quote():
    a = Quote("A", D("2600"), watt_peak=D("2000"))
    b = Quote("B", D("5200"), watt_peak=D("4000"))
    c = Quote("C", D("6000"), watt_peak=D("4000"))
    result = compare_quotes([c, b, a])
    flags = {f.supplier: f.cheapest_per_wp for f in result}
    assert flags == {"A": True, "B": True, "C": False}
    # Same €/Wp: the lower total comes first, then the name.
    assert [f.supplier for f in result] == ["A", "B", "C"]


def test_a_single_quote_is_not_flagged_as_cheapest():
    figures = only(Quote("A", D("5200"), watt_peak=D("4000"), yearly_saving_eur=D("650")))
    assert figures.best_on == ()


def test_flag_needs_two_quotes_with_that_figure():
    a = Quote("A", D("5000"), area_m2=D("50"), watt_peak=D("4000"))
    b = Quote("B", D("5000"), watt_peak=D("5000"))
    by_name = {f.supplier: f for f in compare_quotes([a, b])}
    assert not by_name["A"].cheapest_per_m2  # only A has an area
    assert by_name["B"].cheapest_per_wp


def test_empty_input():
    assert compare_quotes([]) == []


@given(st.permutations(range(5)))
def test_order_does_not_depend_on_input_order(order):
    quotes = [
        Quote("A", D("5000"), watt_peak=D("4000"), yearly_saving_eur=D("600")),
        Quote("B", D("5000"), watt_peak=D("4000"), yearly_saving_eur=D("600")),
        Quote("C", D("4000"), watt_peak=D("4000")),
        Quote("D", D("3000"), area_m2=D("40")),
        Quote("E", D("100")),
    ]
    result = compare_quotes([quotes[i] for i in order])
    assert [f.supplier for f in result] == ["A", "B", "C", "D", "E"]


# --- missing data and invalid input -------------------------------------------


def test_missing_or_zero_inputs_give_no_figure():
    figures = only(Quote("A", D("1000"), area_m2=D("0"), watt_peak=None, yearly_saving_eur=D(0)))
    assert figures.eur_per_m2 is None
    assert figures.eur_per_wp is None
    assert figures.payback_years is None
    assert figures.rounded()["total_eur"] == D("1000.00")


def test_numbers_given_as_int_str_or_float_become_decimals():
    quote = Quote("A", 5200, watt_peak="4000", yearly_saving_eur=650.5)
    assert quote.total_eur == D("5200") and isinstance(quote.total_eur, Decimal)
    assert quote.watt_peak == D("4000")
    assert quote.yearly_saving_eur == D("650.5")
    assert Quote("B", 0.1).total_eur == D("0.1")


@pytest.mark.parametrize("total", [D("0"), D("-1"), "-5200", 0])
def test_zero_or_negative_total_is_rejected(total):
    with pytest.raises(ValueError, match=r"Zon BV: the total price must be more than €0"):
        Quote("Zon BV", total)


@pytest.mark.parametrize("field", ["area_m2", "watt_peak", "yearly_saving_eur"])
def test_negative_figures_are_rejected(field):
    with pytest.raises(ValueError, match=f"A: {field} cannot be negative"):
        Quote("A", D("100"), **{field: D("-1")})


@pytest.mark.parametrize("value", ["NaN", "Infinity", "abc"])
def test_non_numbers_are_rejected(value):
    with pytest.raises(ValueError, match="A: total_eur"):
        Quote("A", value)


def test_wrong_types_are_rejected():
    with pytest.raises(TypeError, match="total_eur must be a number, not bool"):
        Quote("A", True)
    with pytest.raises(TypeError, match="total_eur must be a number, not list"):
        Quote("A", [100])
    with pytest.raises(ValueError, match="supplier"):
        Quote("  ", D("100"))
    with pytest.raises(TypeError, match="Quote objects"):
        compare_quotes([{"supplier": "A", "total_eur": 100}])


def test_supplier_name_is_trimmed():
    assert Quote("  Zon BV ", D("1")).supplier == "Zon BV"


# --- properties ---------------------------------------------------------------

money = st.decimals(min_value=D("0.01"), max_value=D("10000000"), places=2)


@given(total=money, saving=money)
def test_payback_times_saving_is_total(total, saving):
    figures = only(Quote("A", total, yearly_saving_eur=saving))
    assert figures.payback_years is not None
    assert abs(figures.payback_years * saving - total) <= total * D("1e-20")
    assert abs(round_years(figures.payback_years) - figures.payback_years) <= D("0.05")


@given(total=money, watt_peak=st.integers(min_value=1, max_value=10**6))
def test_eur_per_wp_times_wp_is_total(total, watt_peak):
    figures = only(Quote("A", total, watt_peak=D(watt_peak)))
    assert figures.eur_per_wp is not None
    assert abs(figures.eur_per_wp * watt_peak - total) <= total * D("1e-20")


@given(st.lists(money, min_size=2, max_size=6))
def test_first_quote_has_the_lowest_payback(totals):
    quotes = [Quote(f"S{i}", t, yearly_saving_eur=D("100")) for i, t in enumerate(totals)]
    result = compare_quotes(quotes)
    paybacks = [f.payback_years for f in result]
    assert paybacks == sorted(paybacks)
    assert result[0].shortest_payback
    assert all(f.shortest_payback == (f.payback_years == paybacks[0]) for f in result)
