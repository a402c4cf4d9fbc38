"""The types of Clause expressions, shared by `check_types` and `lower_to_ir`."""

from __future__ import annotations

from dataclasses import dataclass

SCALAR_KINDS = ("money", "percent", "duration", "number", "bool", "text", "date", "datetime")
# Parameter-only kinds: a parameter may name a party or a role for a template to bind.
ACTOR_KINDS = ("party", "role")


@dataclass(frozen=True, slots=True)
class Type:
    """kind is one of SCALAR_KINDS, ACTOR_KINDS, or: enum, none, fact (a fact type used as the
    subject of an aggregation), record (one fact instance), window (the measurement window),
    table (a lookup table before indexing), unknown (after an error: never reported twice)."""

    kind: str
    currency: str | None = None
    values: tuple[str, ...] = ()
    optional: bool = False
    fact: str | None = None

    def __str__(self) -> str:
        text = self.kind
        if self.kind == "money" and self.currency:
            text = f"money in {self.currency}"
        elif self.kind == "enum":
            text = " | ".join(self.values)
        elif self.fact:
            text = f"{self.kind} '{self.fact}'"
        return text + ("?" if self.optional else "")

    @property
    def numeric(self) -> bool:
        return self.kind in ("money", "percent", "duration", "number")

    def required(self) -> Type:
        return Type(self.kind, self.currency, self.values, False, self.fact)


UNKNOWN = Type("unknown")
BOOL = Type("bool")
NUMBER = Type("number")
PERCENT = Type("percent")
DURATION = Type("duration")
NONE = Type("none")
