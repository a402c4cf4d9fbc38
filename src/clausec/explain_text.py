"""Rendering an event's explanation as text a contract manager can read."""

from __future__ import annotations

from collections.abc import Mapping

from runtime.events import Event


def render_explanation(event: Event, events: Mapping[str, Event]) -> str:
    why = event.explanation
    head = f"{event.kind} {event.id}  {event.clause}"
    if event.ref:
        head += f' "{event.ref}"'
    lines = [head, f"  at {event.time}" + (f"  amount {event.amount}" if event.amount else "")]
    if event.instance:
        lines.append(f"  for {event.instance}")
    lines.append(f"  why: {why.summary}")
    if event.span:
        lines.append(f"  clause ({event.span}):")
        # A clause from a template ends with a `with` block binding its parameters: it is
        # shown whole, however long the clause, since the template text alone names no value.
        body, with_, bindings = why.clause_text.partition("\nwith (use ")
        shown = body.splitlines()[:12] + (("with (use " + bindings).splitlines() if with_ else [])
        lines.extend(f"    | {text}" for text in shown)
    if why.facts:
        lines.append(f"  facts used: {', '.join(why.facts)}")
    if why.values:
        lines.append("  values:")
        lines.extend(f"    {key}: {value}" for key, value in why.values.items())
    if why.steps:
        lines.append("  computation:")
        for number, step in enumerate(why.steps, start=1):
            detail = ", ".join(f"{k} {v}" for k, v in step.items() if k != "step")
            lines.append(f"    {number}. {step.get('step')}: {detail}")
    for cause in why.causes:
        earlier = events.get(cause)
        if earlier is not None:
            lines.append(
                f"  follows from: {earlier.kind} {earlier.id} ({earlier.explanation.summary})"
            )
    return "\n".join(lines) + "\n"
