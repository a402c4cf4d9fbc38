"""Pass 4, check types, units and currencies.

Input: the expanded contract and its `Symbols`. Output: the type of every parameter and metric
(`TypeTable`), and diagnostics: unknown types (CC209), mismatched types (CC207), currencies that
do not mix (CC208, CC309), unknown currency codes, calendars and time zones (CC212-CC214), and
the expression errors of `infer_types`. Statements are checked in the context they appear in: a
`where` filter sees its fact's fields, a `for each` obligation sees its instance's fields.
"""

from __future__ import annotations

import difflib
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

import holidays
import pycountry

from clausec import nodes as n
from clausec.check_clauses import ClauseTyper
from clausec.diagnostics import Diagnostic, did_you_mean
from clausec.infer_types import Env
from clausec.resolve_names import Symbols
from clausec.types import ACTOR_KINDS, SCALAR_KINDS, UNKNOWN, Type


@dataclass
class TypeTable:
    params: dict[str, Type] = field(default_factory=dict)
    metrics: dict[str, Type] = field(default_factory=dict)
    facts: dict[str, dict[str, Type]] = field(default_factory=dict)


def type_of(ref: n.TypeRef, report: list[Diagnostic], currency: str | None) -> Type:
    if ref.name is None:
        return Type("enum", values=ref.enum, optional=ref.optional)
    if ref.name not in SCALAR_KINDS + ACTOR_KINDS:
        report.append(
            Diagnostic(
                "CC209",
                f"unknown type '{ref.name}'",
                ref.span,
                help=did_you_mean(ref.name, SCALAR_KINDS + ACTOR_KINDS)
                or f"types are: {', '.join(SCALAR_KINDS + ACTOR_KINDS)}",
            )
        )
        return UNKNOWN
    money_currency = currency if ref.name == "money" else None
    return Type(ref.name, money_currency, optional=ref.optional)


@cache
def _calendars() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _calendar_help(value: str) -> str:
    """Country names and ISO alpha-3 codes map to the two-letter code; spelling guesses over
    two-letter codes would suggest unrelated countries, so there are none."""
    try:
        country = pycountry.countries.lookup(value)
    except LookupError:
        country = None
    if country is not None and country.alpha_2 in _calendars():
        return f"use the two-letter code {country.alpha_2} ({country.name})"
    return "use a two-letter ISO 3166 country code such as DE, GB, US or FR"


def _zone_help(value: str) -> str:
    """Suggest a zone only when its place name is a near miss (Europe/Berln); otherwise the
    spelling guesses name unrelated cities."""
    region, _, place = value.rpartition("/")
    best, score = None, 0.0
    for zone in _zones():
        if zone.rpartition("/")[0] == region:
            ratio = difflib.SequenceMatcher(None, place, zone.rpartition("/")[2]).ratio()
            if ratio > score:
                best, score = zone, ratio
    if best is not None and score >= 0.8:
        return f"did you mean '{best}'?"
    return (
        "use an IANA time zone name such as Europe/Berlin; a city without a zone of its "
        "own uses its country's"
    )


def check_header(symbols: Symbols) -> list[Diagnostic]:
    """Currency, calendar and time zone must be ones the runtime knows."""
    out: list[Diagnostic] = []
    for key, stmt in symbols.header.items():
        value = str(stmt.values[0]) if stmt.values else ""
        if key in ("currency",) or key.startswith("convert "):
            if not value.isupper() or pycountry.currencies.get(alpha_3=value) is None:
                out.append(
                    Diagnostic(
                        "CC212",
                        f"unknown currency code '{value}'",
                        stmt.span,
                        help="use an ISO 4217 code in capitals, such as EUR, USD or GBP",
                    )
                )
            elif key.startswith("convert "):
                out.extend(_check_rate(stmt, value, symbols))
        elif key == "calendar" and value not in _calendars():
            out.append(
                Diagnostic(
                    "CC213",
                    f"unknown holiday calendar '{value}'",
                    stmt.span,
                    help=_calendar_help(value),
                )
            )
        elif key == "timezone" and value not in _zones():
            out.append(
                Diagnostic(
                    "CC214",
                    f"unknown time zone '{value}'",
                    stmt.span,
                    help=_zone_help(value),
                )
            )
    return out


def _check_rate(stmt: n.HeaderStmt, code: str, symbols: Symbols) -> list[Diagnostic]:
    """A conversion turns amounts in `code` into the contract's currency: at a positive rate,
    and from another currency than the contract's own."""
    rate = stmt.values[1] if len(stmt.values) > 1 else None
    if isinstance(rate, Decimal | int) and rate <= 0:
        return [
            Diagnostic(
                "CC207",
                f"a conversion rate of {rate} would turn every {code} amount into nothing",
                stmt.span,
                help=f"give how much of the contract's currency one {code} is worth",
            )
        ]
    if code == contract_currency(symbols):
        return [
            Diagnostic(
                "CC212",
                f"{code} is the contract's own currency: it needs no conversion",
                stmt.span,
                help="remove this line",
            )
        ]
    return []


def contract_currency(symbols: Symbols) -> str | None:
    stmt = symbols.header.get("currency")
    return str(stmt.values[0]) if stmt and stmt.values else None


def check_types(contract: n.ContractDecl, symbols: Symbols) -> tuple[TypeTable, list[Diagnostic]]:
    """Pass entry point."""
    diagnostics = check_header(symbols)
    currency = contract_currency(symbols)
    table = TypeTable()
    for fact in symbols.facts.values():
        table.facts[fact.name] = {
            f.name: type_of(f.type, diagnostics, currency) for f in fact.fields
        }
        diagnostics.extend(
            Diagnostic(
                "CC220",
                f"'{f.name}' cannot name a field: every fact already has an '{f.name}'",
                f.span,
                help=f"rename the field, e.g. '{fact.name}_{f.name}'"
                if f.name != "id"
                else "rename the field, e.g. 'number' or 'reference'",
            )
            for f in fact.fields
            if f.name in ("id", "type", "contract")
        )
    for param in symbols.params.values():
        table.params[param.name] = type_of(param.type, diagnostics, currency)
    convertible = frozenset(k.split()[1] for k in symbols.header if k.startswith("convert "))
    env = Env(dict(table.params), table.facts, convertible=convertible, currency=currency)
    typer = ClauseTyper(diagnostics.append, symbols)
    for param in symbols.params.values():
        typer.check_default(param, table.params[param.name], env)
    for metric in symbols.metrics.values():
        table.metrics[metric.name] = typer.check_metric(metric, env)
        env.globals[metric.name] = table.metrics[metric.name]
    for member in contract.members:
        typer.check_member(member, env)
    return table, diagnostics
