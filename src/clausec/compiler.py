"""The compiler pipeline in one place. Each pass is a function from one representation to the
next; between passes the pipeline stops if any pass reported an error, so later passes can
trust their input (a type check never sees an unknown name twice).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from clausec import nodes as n
from clausec.apply_amendment import amendment_record, apply_amendment
from clausec.build_ast import parse_file
from clausec.build_graph import ContractGraph, build_graph
from clausec.check_library import (
    amends,
    check_amendment,
    find_base_contract,
    template_as_contract,
    version_mismatch,
)
from clausec.check_semantics import check_semantics
from clausec.check_types import TypeTable, check_types
from clausec.diagnostics import NO_SPAN, CompileError, Diagnostic, has_errors
from clausec.expand_templates import expand_contract, load_imports
from clausec.ir import Bundle
from clausec.lower_to_ir import lower_to_ir
from clausec.resolve_names import Symbols, resolve_names


@dataclass
class Compilation:
    """Everything one compile produced: diagnostics always, the later stages when reached."""

    path: str
    sources: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: n.SourceFile | None = None
    contract: n.ContractDecl | None = None
    symbols: Symbols | None = None
    types: TypeTable | None = None
    graph: ContractGraph | None = None
    bundle: Bundle | None = None
    amended: Bundle | None = None  # an amendment's: the next version, with its amendment

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    def add(self, diagnostics: list[Diagnostic]) -> bool:
        """Record a pass's diagnostics, each once (a template used twice checks its clauses
        twice, at the same place); True if the pipeline may go on."""
        seen = set(self.diagnostics)
        self.diagnostics.extend(d for d in dict.fromkeys(diagnostics) if d not in seen)
        return self.ok


def read_and_parse(
    path: Path, sources: dict[str, str]
) -> tuple[n.SourceFile | None, list[Diagnostic]]:
    """Passes 1-2 for one file, remembering its text for diagnostic rendering."""
    key = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a byte-order mark is not content
    except (OSError, UnicodeDecodeError) as error:
        from clausec.diagnostics import Span

        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        return None, [Diagnostic("CC100", f"cannot read {key}: {reason}", Span(key, 0, 0, 0, 0))]
    sources[key] = text
    return parse_file(text, key)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector waits while a contract compiles. A compile builds a
    parse tree, an AST and an IR of hundreds of thousands of objects that live until it
    ends; the collector would walk them again and again (a third of the time of a
    1,000-clause contract) and find nothing to free, since none of them is garbage yet.
    Reference counting frees as usual; the collector runs again as soon as the compile ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compile_contract(path: Path | str) -> Compilation:
    """Compile one `.clause` file as far as it goes. Never raises for bad input."""
    with _collector_paused():
        return _compile_contract(Path(path))


def _compile_contract(path: Path) -> Compilation:
    result = Compilation(str(path))
    # 1-2. Parse and build the AST: everything after this works on dataclasses.
    source, diagnostics = read_and_parse(path, result.sources)
    if not result.add(diagnostics) or source is None:
        return result
    result.source = source
    # 3a. Imports and templates first, so that names from the stdlib resolve like local ones.
    imports = load_imports(source, lambda p: read_and_parse(p, result.sources))
    if not result.add(imports.diagnostics):
        return result
    contracts = [item for item in source.items if isinstance(item, n.ContractDecl)]
    if not contracts:
        return _check_library(result, source)
    for extra in contracts[1:]:
        result.add(
            [
                Diagnostic(
                    "CC320",
                    "a file holds one contract",
                    extra.span,
                    help="move this contract to a file of its own",
                )
            ]
        )
    contract, diagnostics = expand_contract(contracts[0], imports)
    if not result.add(diagnostics):
        return result
    result.contract = contract
    return _analyse(result, contract)


def _analyse(result: Compilation, contract: n.ContractDecl) -> Compilation:
    # 3b. Resolve names: every later pass looks declarations up in these tables.
    symbols, diagnostics = resolve_names(contract)
    result.symbols = symbols
    if not result.add(diagnostics):
        return result
    # 4. Types, units and currencies: semantics checks compare amounts and need them typed.
    types, diagnostics = check_types(contract, symbols)
    result.types = types
    well_typed = result.add(diagnostics)
    # 5. Static checks: tiers, caps, deadlines, unused declarations. They read only resolved
    # declarations and constants, so they run even after a type error: one check shows both.
    # Unused-declaration warnings wait for a well-typed contract: after a misspelt name they
    # would tell the author to delete the declaration they meant to use.
    if not result.add(check_semantics(contract, symbols, types, report_unused=well_typed)):
        return result
    # 6. The dependency graph: cycles are errors, and its order is the IR's evaluation order.
    graph, diagnostics = build_graph(contract, symbols)
    result.graph = graph
    if not result.add(diagnostics):
        return result
    # 7. Lower to the IR, the only thing the runtime reads.
    result.bundle = lower_to_ir(contract, symbols, types, graph, result.sources)
    return result


def _check_library(result: Compilation, source: n.SourceFile) -> Compilation:
    """Templates and amendments: each template is checked as a contract of its own, and an
    amendment is applied to its base contract, found beside it, and the result checked."""
    for item in source.items:
        if isinstance(item, n.AmendmentDecl) and result.add(list(check_amendment(item))):
            _check_against_base(result, item)
        elif isinstance(item, n.TemplateDecl):
            checked = _analyse(Compilation(result.path), template_as_contract(item))
            result.add(checked.diagnostics)
    return result


def _check_against_base(result: Compilation, amendment: n.AmendmentDecl) -> None:
    """Apply the amendment to the contract it names, found beside it, and check the result."""
    target = amends(amendment)
    if target is None:
        return
    wanted = target[0]
    base_path = find_base_contract(Path(result.path), wanted, lambda p: read_and_parse(p, {})[0])
    if base_path is None:
        result.add(
            [
                Diagnostic(
                    "CC321",
                    f"no contract '{wanted}' beside this amendment",
                    amendment.span,
                    help="keep an amendment in the folder of the "
                    "contract it amends, so that it can be checked against it",
                )
            ]
        )
        return
    base = compile_contract(base_path)
    for path, earlier in _earlier_amendments(Path(result.path), amendment, base):
        step = Compilation(str(path), result.sources)
        applied = apply_to_base(step, earlier, base, base_path)
        if applied is None or not step.ok:
            result.add(
                [
                    Diagnostic(
                        "CC318",
                        f"the amendment {path}, which this one follows, has errors",
                        amendment.span,
                        help=f"run clausec check {path}",
                    )
                ]
            )
            return
        base = applied
    apply_to_base(result, amendment, base, base_path)


def _earlier_amendments(
    path: Path, amendment: n.AmendmentDecl, base: Compilation
) -> list[tuple[Path, n.AmendmentDecl]]:
    """The amendments beside `path` that lead from the base contract's version to the one
    this amendment amends, in version order: amendment No. 2 amends what No. 1 made."""
    target = amends(amendment)
    header = base.symbols.header.get("version") if base.symbols else None
    start = header.values[0] if header and header.values else None
    if target is None or not isinstance(start, int) or target[1] <= start:
        return []
    found: dict[int, list[tuple[Path, n.AmendmentDecl]]] = {}
    for candidate in sorted(path.parent.glob("*.clause")):
        if candidate.resolve() == path.resolve():
            continue
        source = read_and_parse(candidate, {})[0]
        items = source.items if source else ()
        for item in (i for i in items if isinstance(i, n.AmendmentDecl)):
            other = amends(item)
            if other and other[0] == target[0] and start <= other[1] < target[1]:
                found.setdefault(other[1], []).append((candidate, item))
    chain = [found.get(v, []) for v in range(start, target[1])]
    if any(len(step) != 1 for step in chain):  # a gap, or two candidates: no chain to follow
        return []
    return [step[0] for step in chain]


def apply_to_base(
    result: Compilation, amendment: n.AmendmentDecl, base: Compilation, base_path: Path
) -> Compilation | None:
    """Apply an amendment to its compiled base contract and check the result like any
    contract. Diagnostics go to `result` (the amendment's); the return value is the amended
    contract's own compilation, whose bundle is the next version (`clausec diff` reads it),
    or None when the base or the amendment has errors."""
    target = amends(amendment)
    if target is None:
        return None
    wanted, version = target
    result.sources.update(base.sources)
    if base.contract is None or base.symbols is None or not base.ok:
        result.add(
            [
                Diagnostic(
                    "CC318",
                    f"the amended contract {base_path} has errors",
                    amendment.span,
                    help=f"run clausec check {base_path}",
                )
            ]
        )
        return None
    result.add(list(version_mismatch(amendment, wanted, version, base_path, base.symbols)))
    amended, diagnostics = apply_amendment(base.contract, amendment)
    if not result.add(diagnostics):
        return None
    compilation = Compilation(result.path, result.sources)
    compilation.contract = amended  # the next amendment applies to it
    checked = _analyse(compilation, amended)
    result.add(checked.diagnostics)
    if checked.bundle is not None and result.ok:
        record = amendment_record(amendment, version)
        result.amended = checked.bundle.model_copy(update={"amendment": record}).with_hash()
    return checked


def compile_amendment(path: Path | str) -> Compilation:
    """An amendment file, applied to the contract beside it: `amended` is the next version's
    bundle, carrying the amendment (effective date, migrations) for the runtime."""
    result = compile_contract(path)
    if result.ok and result.amended is None:
        result.add(
            [
                Diagnostic(
                    "CC318",
                    f"{path} holds no amendment",
                    result.source.span if result.source else NO_SPAN,
                    help='give an amendment file: amendment "..." { amends ... }',
                )
            ]
        )
    return result


def compile_or_raise(path: Path | str) -> Bundle:
    """For embedding: the bundle, or CompileError carrying every diagnostic."""
    result = compile_contract(path)
    if result.bundle is None:
        raise CompileError(result.diagnostics)
    return result.bundle
