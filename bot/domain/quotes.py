"""Compare supplier quotes for a collective purchase on normalised figures.

Suppliers quote different sizes, so the total price says little. We compare:

- € per m² (insulation: total price / insulated area),
- € per Wp (solar panels: total price / total watt peak),
- payback years (total price / the yearly saving the supplier promises).

Payback is "simple payback": no interest, subsidies, price changes or panel
ageing. Savings come from the suppliers' own estimates, so a coach should check
that they use the same assumptions (for solar: with or without net metering).

All figures are exact `Decimal` values; round only for display, with
`round_eur` / `round_years` or `QuoteFigures.rounded`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

__all__ = [
    "FIGURES",
    "Quote",
    "QuoteFigures",
    "compare_quotes",
    "round_eur",
    "round_years",
]

# In order of preference for ranking: payback when known, else €/Wp, else €/m².
FIGURES = ("payback_years", "eur_per_wp", "eur_per_m2")

# Our own context, so a caller changing the thread's decimal context cannot
# change the results.
_CTX = Context(
    prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")


def _to_decimal(supplier: str, name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str | float):
        raise TypeError(f"{supplier}: {name} must be a number, not {type(value).__name__}")
    try:
        # str(float) gives the short form (0.1, not 0.1000000000000000055...).
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{supplier}: {name} {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{supplier}: {name} must be a finite number, got {value!r}")
    return number


@dataclass(frozen=True, slots=True)
class Quote:
    """One supplier's offer. Amounts may be given as Decimal, int or str."""

    supplier: str
    total_eur: Decimal
    area_m2: Decimal | None = None
    watt_peak: Decimal | None = None
    yearly_saving_eur: Decimal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.supplier, str) or not self.supplier.strip():
            raise ValueError("a quote needs the supplier's name")
        supplier = self.supplier.strip()
        object.__setattr__(self, "supplier", supplier)

        total = _to_decimal(supplier, "total_eur", self.total_eur)
        if total <= 0:
            raise ValueError(
                f"{supplier}: the total price must be more than €0, got €{total}. "
                "Enter the full price of the quote, including VAT."
            )
        object.__setattr__(self, "total_eur", total)

        for name in ("area_m2", "watt_peak", "yearly_saving_eur"):
            raw = getattr(self, name)
            if raw is None:
                continue
            number = _to_decimal(supplier, name, raw)
            if number < 0:
                raise ValueError(f"{supplier}: {name} cannot be negative, got {number}")
            object.__setattr__(self, name, number)


def round_eur(value: Decimal) -> Decimal:
    """Round an amount in euros to whole cents (half up), for display."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP, context=_CTX)


def round_years(value: Decimal) -> Decimal:
    """Round a number of years to one decimal (half up), for display."""
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP, context=_CTX)


def _per(total: Decimal, amount: Decimal | None) -> Decimal | None:
    """total / amount, or None when the amount is missing or zero."""
    if amount is None or amount == 0:
        return None
    return _CTX.divide(total, amount)


@dataclass(frozen=True, slots=True)
class QuoteFigures:
    """A quote with its normalised figures (exact) and best-per-figure flags.

    A flag is set only when at least two quotes have that figure and this one
    has the lowest value (ties: all of them).
    """

    quote: Quote
    eur_per_m2: Decimal | None
    eur_per_wp: Decimal | None
    payback_years: Decimal | None
    cheapest_per_m2: bool = False
    cheapest_per_wp: bool = False
    shortest_payback: bool = False

    @property
    def supplier(self) -> str:
        return self.quote.supplier

    @property
    def basis(self) -> str | None:
        """The figure this quote was ranked on (see `FIGURES`), or None."""
        for name in FIGURES:
            if getattr(self, name) is not None:
                return name
        return None

    @property
    def best_on(self) -> tuple[str, ...]:
        """The figures on which this quote is the best one."""
        flags = {
            "payback_years": self.shortest_payback,
            "eur_per_wp": self.cheapest_per_wp,
            "eur_per_m2": self.cheapest_per_m2,
        }
        return tuple(name for name in FIGURES if flags[name])

    def rounded(self) -> dict[str, Decimal | None]:
        """The figures rounded for display: euros to cents, years to 0.1."""

        def maybe(value: Decimal | None, rounder: Callable[[Decimal], Decimal]) -> Decimal | None:
            return None if value is None else rounder(value)

        return {
            "total_eur": round_eur(self.quote.total_eur),
            "eur_per_m2": maybe(self.eur_per_m2, round_eur),
            "eur_per_wp": maybe(self.eur_per_wp, round_eur),
            "payback_years": maybe(self.payback_years, round_years),
        }


def _rank_key(figures: QuoteFigures) -> tuple:
    # Quotes with a payback time first (shortest first), then the rest by
    # €/Wp, then by €/m², then by total price; the supplier name breaks ties
    # so the order never depends on the order of input.
    key: list[object] = []
    for name in FIGURES:
        value = getattr(figures, name)
        key += [value is None, value if value is not None else Decimal(0)]
    return (*key, figures.quote.total_eur, figures.supplier.casefold())


def compare_quotes(quotes: Iterable[Quote]) -> list[QuoteFigures]:
    """Normalised figures for each quote, best first.

    Ranking: by payback years when known, else € per Wp, else € per m²
    (lower is better for all three). See `QuoteFigures` for the flags.
    """
    items = list(quotes)
    for item in items:
        if not isinstance(item, Quote):
            raise TypeError(f"compare_quotes expects Quote objects, got {type(item).__name__}")

    plain = [
        QuoteFigures(
            quote=q,
            eur_per_m2=_per(q.total_eur, q.area_m2),
            eur_per_wp=_per(q.total_eur, q.watt_peak),
            payback_years=_per(q.total_eur, q.yearly_saving_eur),
        )
        for q in items
    ]

    def lowest(name: str) -> Decimal | None:
        values = [getattr(f, name) for f in plain if getattr(f, name) is not None]
        return min(values) if len(values) >= 2 else None

    best = {name: lowest(name) for name in FIGURES}

    def is_best(f: QuoteFigures, name: str) -> bool:
        return best[name] is not None and getattr(f, name) == best[name]

    flagged = [
        replace(
            f,
            cheapest_per_m2=is_best(f, "eur_per_m2"),
            cheapest_per_wp=is_best(f, "eur_per_wp"),
            shortest_payback=is_best(f, "payback_years"),
        )
        for f in plain
    ]
    return sorted(flagged, key=_rank_key)
