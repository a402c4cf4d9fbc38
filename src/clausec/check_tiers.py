"""Pass 5 (part): tier tables, bands and caps, checked by interval analysis and constant folding.

A tier table should cover every value that breaches the target (CC301), rows under a `unique`
hit policy must not overlap (CC302), and under `first match` no row may be hidden by the rows
above it (CC303). Bands must tile their range without gaps or overlaps (CC315). Caps must be
positive (CC304) and consistent with each other and with minimums (CC305).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from decimal import Decimal

from clausec import nodes as n
from clausec.const_eval import Value, fold
from clausec.diagnostics import Diagnostic
from clausec.intervals import ALL, INF, Interval, covered, from_comparison, subtract
from clausec.rewrite import walk

Params = dict[str, n.ParamDecl]
# Narrowest first: a cap on a wider scope below a cap on a narrower one makes the latter moot.
SCOPE_ORDER = ("instance", "window", "month", "quarter", "year", "contract_year", "contract")


def condition_interval(cond: n.Expr, params: Params) -> tuple[str, Interval] | None:
    """`subject op const` chains and their conjunctions, as (subject, interval); else None."""
    if isinstance(cond, n.Binary) and cond.op == "and":
        left = condition_interval(cond.left, params)
        right = condition_interval(cond.right, params)
        if left and right and left[0] == right[0]:
            return left[0], left[1].intersect(right[1])
        return None
    if not isinstance(cond, n.Compare):
        return None
    subjects = [i for i, o in enumerate(cond.operands) if fold(o, params) is None]
    if len(subjects) != 1 or not isinstance(cond.operands[subjects[0]], n.Name):
        return None
    index = subjects[0]
    subject = cond.operands[index]
    assert isinstance(subject, n.Name)
    result = ALL
    for i, op in enumerate(cond.ops):
        before, after = cond.operands[i], cond.operands[i + 1]
        if index not in (i, i + 1):
            return None
        const = fold(after if index == i else before, params)
        if const is None:
            return None
        result = result.intersect(from_comparison(op, const[1], subject_left=index == i))
    return subject.name, result


def _unit(conditions: list[n.Expr | None], params: Params) -> str:
    """'%' when the tiers compare a percentage, so ranges print as 95% rather than 95."""
    for condition in conditions:
        for node in walk(condition) if condition is not None else ():
            value = fold(node, params) if isinstance(node, n.Literal | n.Name) else None
            if value is not None:
                return "%" if value[0] == "percent" else ""
    return ""


def breach_domain(target: n.Expr | None, params: Params) -> tuple[str, list[Interval]] | None:
    if target is None:
        return None
    analysed = condition_interval(target, params)
    if analysed is None:
        return None
    subject, compliant = analysed
    bounds = [fold(o, params) for o in walk(target) if isinstance(o, n.Literal | n.Name)]
    high = Decimal(100) if any(b and b[0] == "percent" for b in bounds) else INF
    return subject, subtract([Interval(Decimal(0), high, True, high != INF)], compliant)


def check_tier_table(table: n.TierTable, target: n.Expr | None, params: Params) -> list[Diagnostic]:
    rows: list[Parsed] = [
        (row, condition_interval(row.condition, params) if row.condition else None)
        for row in table.rows
    ]
    if any(row.condition is not None and parsed is None for row, parsed in rows):
        return []  # a row the analysis cannot read: say nothing rather than guess
    subjects = {parsed[0] for _, parsed in rows if parsed is not None}
    if len(subjects) > 1:
        return []  # rows on different metrics: their overlaps show only at run time
    out: list[Diagnostic] = []
    seen: list[Interval] = []
    unit = _unit([target, *(row.condition for row in table.rows)], params)
    for index, (row, parsed) in enumerate(rows):
        if parsed is None:
            if index != len(rows) - 1:
                out.append(
                    Diagnostic(
                        "CC303",
                        "rows after 'otherwise' can never match",
                        row.span,
                        help="move 'otherwise' to the end of the table",
                    )
                )
            seen.append(ALL)
            continue
        interval = parsed[1]
        if interval.empty:
            out.append(Diagnostic("CC303", "this row's condition can never be true", row.span))
        elif table.policy == "first_match" and seen and covered(interval, seen):
            out.append(
                Diagnostic(
                    "CC303",
                    "this row can never match: the rows above it catch every value it covers",
                    row.span,
                    help="order rows from the strictest condition down, or narrow this row",
                )
            )
        elif table.policy == "unique":
            out.extend(_overlaps(row, interval, rows[:index], unit))
        seen.append(interval)
    out.extend(_gaps(table, target, params, seen, unit, next(iter(subjects), None)))
    return out


Parsed = tuple[n.TierRow, tuple[str, Interval] | None]


def _overlaps(
    row: n.TierRow, interval: Interval, earlier: list[Parsed], unit: str
) -> Iterable[Diagnostic]:
    for other, parsed in earlier:
        if parsed is not None and not interval.intersect(parsed[1]).empty:
            shared = interval.intersect(parsed[1]).describe(unit)
            yield Diagnostic(
                "CC302",
                f"rows overlap where {parsed[0]} is {shared}, under a unique hit policy",
                row.span,
                notes=(f"the other row is at {other.span}",),
                help="make the bounds meet exactly (< on one row, >= on the next)",
            )


def _gaps(
    table: n.TierTable,
    target: n.Expr | None,
    params: Params,
    seen: list[Interval],
    unit: str,
    rows_subject: str | None,
) -> Iterable[Diagnostic]:
    domain = breach_domain(target, params)
    if domain is None or table.policy == "collect_sum":
        return
    subject, missing = domain
    if rows_subject is not None and rows_subject != subject:
        return  # the rows grade another metric than the target reads
    for interval in seen:
        missing = [r for part in missing for r in subtract([part], interval)]
    for gap in missing:
        yield Diagnostic(
            "CC301",
            f"no tier row covers {subject} {gap.describe(unit)}, where the target is missed",
            table.span,
            help="add a row for that range, or an 'otherwise' row",
        )


def check_bands(table: n.BandTable, params: Params) -> list[Diagnostic]:
    bands: list[tuple[Decimal, Decimal, n.BandRow]] = []
    for row in table.rows:
        lower = fold(row.lower, params)
        upper = fold(row.upper, params) if row.upper is not None else ("", INF)
        if lower is None or upper is None:
            return []
        bands.append((lower[1], upper[1], row))
    out: list[Diagnostic] = []
    bands.sort(key=lambda band: band[0])
    for (_, high, row), (next_low, _, next_row) in itertools.pairwise(bands):
        if high == INF:
            out.append(
                Diagnostic(
                    "CC315",
                    "only the last band may be open-ended",
                    row.span,
                    help="give this band an upper bound with 'to'",
                )
            )
        elif high < next_low:
            out.append(
                Diagnostic(
                    "CC315",
                    f"bands leave a gap between {high} and {next_low}",
                    next_row.span,
                    help="start each band where the previous ends",
                )
            )
        elif high > next_low:
            out.append(
                Diagnostic(
                    "CC315",
                    f"bands overlap between {next_low} and {high}",
                    next_row.span,
                    help="start each band where the previous ends",
                )
            )
    out.extend(
        Diagnostic("CC315", "a band's upper bound must be above its lower bound", row.span)
        for low, high, row in bands
        if high <= low
    )
    return out


def cap_allows_nothing(value: Value | None, amount: n.Expr) -> list[Diagnostic]:
    """CC304 for a cap (a clause's own or an aggregate one) of zero or less."""
    if value is None or value[1] > 0:
        return []
    return [
        Diagnostic(
            "CC304",
            f"cap of {value[1]} can never allow an amount",
            amount.span,
            help="caps must be positive amounts",
        )
    ]


def check_caps(stmts: Iterable[object], params: Params) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    caps: dict[str, tuple[Decimal, n.CapStmt]] = {}
    minimum: tuple[Decimal, n.MinimumStmt] | None = None
    for stmt in stmts:
        if isinstance(stmt, n.MinimumStmt):
            value = fold(stmt.amount, params)
            minimum = (value[1], stmt) if value else None
        if not isinstance(stmt, n.CapStmt):
            continue
        value = fold(stmt.amount, params)
        out.extend(cap_allows_nothing(value, stmt.amount))
        if stmt.scope in caps:
            out.append(
                Diagnostic(
                    "CC305",
                    f"two caps per {stmt.scope.replace('_', ' ')}",
                    stmt.span,
                    help="keep the one that applies and remove the other",
                )
            )
        elif value is not None:
            caps[stmt.scope] = (value[1], stmt)
    out.extend(_cap_order(caps, minimum))
    return out


def _cap_order(
    caps: dict[str, tuple[Decimal, n.CapStmt]], minimum: tuple[Decimal, n.MinimumStmt] | None
) -> Iterable[Diagnostic]:
    ordered = sorted(caps.items(), key=lambda item: SCOPE_ORDER.index(item[0]))
    for (narrow, (low, _)), (wide, (high, stmt)) in itertools.pairwise(ordered):
        if high < low:
            yield Diagnostic(
                "CC305",
                f"the cap per {wide.replace('_', ' ')} ({high}) is below the "
                f"cap per {narrow.replace('_', ' ')} ({low}), which can then never "
                "apply",
                stmt.span,
                help="raise the wider cap or lower the narrower",
            )
    if minimum and ordered and minimum[0] > ordered[0][1][0]:
        yield Diagnostic(
            "CC305",
            f"minimum {minimum[0]} is above the cap {ordered[0][1][0]}",
            minimum[1].span,
            help="a minimum must not exceed the caps",
        )
