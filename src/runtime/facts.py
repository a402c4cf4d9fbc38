"""Facts at the edge: JSON objects validated against the contract's declared fact schemas.

A fact is a flat object: `id`, `type`, optionally `contract`, and the fields its schema
declares. Pydantic models are built once per schema. Money is written "1234.50 EUR" (or an
object with `amount` and `currency`), numbers as integers or strings of digits, never floats;
date-times must carry a zone. A bad fact raises `FactError` naming the fact id and the field.
A fact's time is its latest date-time field: a fact is known when the last thing it reports
has happened (a downtime at its end, an incident at its resolution).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictStr,
    ValidationError,
    create_model,
)

from clausec import ir
from runtime.money import Money

RESERVED = ("id", "type", "contract")


@dataclass(frozen=True, slots=True)
class Fact:
    id: str
    type: str
    time: datetime
    fields: dict[str, Any]
    key: str | None
    seq: int


@dataclass(frozen=True, slots=True)
class Problem:
    fact_id: str
    field: str | None
    message: str
    index: int

    def __str__(self) -> str:
        where = f"fact '{self.fact_id}'" + (f", field '{self.field}'" if self.field else "")
        return f"{where}: {self.message}"


class FactError(ValueError):
    """One or more facts of a batch are invalid; none of the batch was applied."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


MAX_DIGITS_EXPONENT = 30  # amounts and measures beyond 10**30 are mistakes, not data


def _decimal(value: Any) -> Any:
    if isinstance(value, bool | float):
        raise ValueError("write numbers as integers or strings of digits, not floats")
    if isinstance(value, int | str):
        try:
            value = Decimal(str(value).strip())
        except InvalidOperation as error:
            raise ValueError(f"'{value}' is not a number") from error
    if isinstance(value, Decimal) and (
        not value.is_finite() or abs(value.adjusted()) > MAX_DIGITS_EXPONENT
    ):
        raise ValueError(f"'{value}' is not a finite number of a sensible size")
    return value


def _money_validator(currency: str, rates: dict[str, Decimal]) -> BeforeValidator:
    """Money in the contract's currency, or in one it declares a rate for (`convert USD at
    0.92`), which is converted on arrival so that no clause ever mixes currencies."""
    currencies = frozenset({currency, *rates})

    def parse(value: Any) -> Money:
        if isinstance(value, dict):
            money = Money(_decimal(value.get("amount")), str(value.get("currency", "")))
        elif isinstance(value, str):
            money = Money.parse(value)
            _decimal(money.amount)  # refuses NaN, Infinity, 1e400 as for any number
        else:
            raise ValueError("write money as '1234.50 EUR'")
        if not isinstance(money.amount, Decimal):
            raise ValueError("the amount must be a number")
        if money.currency not in currencies:
            raise ValueError(
                f"currency {money.currency} is not one this contract accepts "
                f"({', '.join(sorted(currencies))})"
            )
        if money.currency != currency:
            return Money(money.amount * rates[money.currency], currency)
        return money

    return BeforeValidator(parse)


def _percent(value: Any) -> Any:
    if isinstance(value, str) and value.strip().endswith("%"):
        return _decimal(value.strip()[:-1]) / 100
    return _decimal(value)


def _field_type(t: ir.TypeIR, money: BeforeValidator) -> Any:
    base: Any
    if t.kind == "money":
        base = Annotated[Money, money]
    elif t.kind in ("number",):
        base = Annotated[Decimal, BeforeValidator(_decimal)]
    elif t.kind == "percent":
        base = Annotated[Decimal, BeforeValidator(_percent)]
    elif t.kind == "datetime":
        base = AwareDatetime
    elif t.kind == "date":
        base = date
    elif t.kind == "bool":
        base = StrictBool
    elif t.kind == "enum":
        base = Literal[tuple(t.values)]
    else:
        base = StrictStr
    return (base | None, None) if t.optional else (base, ...)


# What a fact model depends on: its name, its fields' types, the currency and the rates.
ModelKey = tuple[
    str,
    tuple[tuple[str, str, str | None, tuple[str, ...], bool], ...],
    str,
    tuple[tuple[str, str], ...],
]


@lru_cache(maxsize=1024)
def _model(key: ModelKey) -> type[BaseModel]:
    """A fact type's validator, shared by every engine whose contract declares the same
    schema, currency and rates: a pydantic model costs tens of KB and a millisecond to build,
    and it is immutable once built."""
    name, fields, currency, conversions = key
    money = _money_validator(currency, {code: Decimal(rate) for code, rate in conversions})
    config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    types = {
        field: _field_type(
            ir.TypeIR(kind=kind, currency=unit, values=list(values), optional=opt), money
        )
        for field, kind, unit, values, opt in fields
    }
    return create_model(f"Fact_{name}", __config__=config, **types)


@lru_cache(maxsize=1024)
def _models(keys: tuple[ModelKey, ...]) -> dict[str, type[BaseModel]]:
    """The validators of a contract's fact types by name, one table for every engine whose
    contract declares the same (nothing changes it: `adopt` makes a new one)."""
    return {key[0]: _model(key) for key in keys}


def _model_key(schema: ir.FactSchema, header: ir.Header) -> ModelKey:
    fields = tuple(  # by name: a bundle read back from canonical JSON has its keys sorted
        (name, t.kind, t.currency, tuple(t.values), t.optional)
        for name, t in sorted(schema.fields.items())
    )
    return schema.name, fields, header.currency, tuple(header.conversions.items())


class FactSchemas:
    """Validators for every fact type of one contract, shared with other contracts that
    declare the same (see `_model`)."""

    def __init__(self, bundle: ir.Bundle) -> None:
        self.contract_id = bundle.header.id
        self.header = bundle.header
        self.schemas = {f.name: f for f in bundle.facts}
        self.models = _models(tuple(_model_key(f, bundle.header) for f in bundle.facts))

    def adopt(self, bundle: ir.Bundle) -> None:
        """An amendment's fact types: new ones are accepted from now on, changed ones are
        validated as the amendment declares them."""
        models = dict(self.models)  # the table may be shared with other engines: a copy
        for schema in bundle.facts:
            self.schemas[schema.name] = schema
            models[schema.name] = _model(_model_key(schema, bundle.header))
        self.models = models

    def __getstate__(self) -> dict[str, Any]:
        """The validators are rebuilt (or taken from the shared cache) when unpickled: pydantic
        models made at run time cannot be pickled."""
        return {"contract_id": self.contract_id, "header": self.header, "schemas": self.schemas}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.contract_id, self.header = state["contract_id"], state["header"]
        self.schemas = state["schemas"]
        self.models = _models(
            tuple(_model_key(schema, self.header) for schema in self.schemas.values())
        )

    def validate(self, raw: Any, index: int, seq: int) -> Fact:
        if not isinstance(raw, dict):
            raise FactError([Problem(f"#{index + 1}", None, "a fact is a JSON object", index)])
        fact_id = raw.get("id")
        if not isinstance(fact_id, str) or not fact_id:
            raise FactError([Problem(f"#{index + 1}", "id", "every fact needs a text id", index)])
        contract = raw.get("contract", self.contract_id)
        if contract != self.contract_id:
            raise FactError(
                [
                    Problem(
                        fact_id,
                        "contract",
                        f"unknown contract '{contract}' (this is {self.contract_id})",
                        index,
                    )
                ]
            )
        kind = raw.get("type")
        model = self.models.get(str(kind))
        if model is None:
            known = ", ".join(sorted(self.models))
            raise FactError(
                [
                    Problem(
                        fact_id,
                        "type",
                        f"unknown fact type '{kind}'; this contract reads: {known}",
                        index,
                    )
                ]
            )
        data = dict(raw)
        for reserved in RESERVED:
            data.pop(reserved, None)
        try:
            validated = model.model_validate(data)
        except ValidationError as error:
            raise FactError([_problem(fact_id, e, index) for e in error.errors()]) from None
        # The attributes as they are, not model_dump: dumping turns Money into a dict. In the
        # schema's field order, whatever the order of the JSON object (the ledger stores facts
        # with sorted keys: a replay must rebuild the very same records). Date-times go to UTC.
        # The models forbid extra fields, so pydantic fills `__dict__` with exactly the
        # schema's fields, in their order.
        fields = dict(validated.__dict__)
        times = []
        for name, value in fields.items():
            if isinstance(value, datetime):
                fields[name] = value = value.astimezone(UTC)
                times.append(value)
        if not times:  # dates only (an invoice `issued: date`): the start of the latest one
            zone = ZoneInfo(self.header.timezone)
            days = [v for v in fields.values() if isinstance(v, date)]
            times = [datetime.combine(max(days), time(), zone).astimezone(UTC)] if days else []
        return self._fact(fact_id, str(kind), fields, times, seq, index)

    def _fact(
        self,
        fact_id: str,
        kind: str,
        fields: dict[str, Any],
        times: list[datetime],
        seq: int,
        index: int,
    ) -> Fact:
        if not times:
            raise FactError(
                [
                    Problem(
                        fact_id,
                        None,
                        "the fact has no date or date-time to place it in time",
                        index,
                    )
                ]
            )
        schema = self.schemas[kind]
        key = str(fields[schema.key]) if schema.key and fields.get(schema.key) is not None else None
        return Fact(fact_id, kind, max(times), fields, key, seq)


def _problem(fact_id: str, error: Any, index: int) -> Problem:
    field = ".".join(str(p) for p in error.get("loc", ())) or None
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "extra_forbidden":
        message = "this fact type has no such field"
    elif error.get("type") == "missing":
        message = "this field is required"
    elif error.get("type") == "timezone_aware":
        message = "date-times must carry a zone, like 2026-03-01T17:00:00+01:00"
    return Problem(fact_id, field, message.removeprefix("Value error, "), index)
