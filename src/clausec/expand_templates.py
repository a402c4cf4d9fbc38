"""Pass 3a, load imports and expand templates: a contract with `use` lines becomes a flat
contract whose clauses all stand in one namespace.

Input: the main `SourceFile` and a `Loader` that parses imported files (relative to the importer,
then from stdlib/). Output: a new `ContractDecl` (or the unchanged file for templates and
amendments) where every `use T as u { args }` is replaced by T's members, renamed `u.<name>`, with
the template's parameters replaced by the arguments. Fact schemas stay global and are merged;
two different schemas under one name are an error. Names inside the expanded clauses are only
rewritten, not checked: that is `resolve_names`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clausec import nodes as n
from clausec.diagnostics import Diagnostic, did_you_mean
from clausec.resources import stdlib_dir
from clausec.rewrite import rewrite, walk

Loader = Callable[[Path], tuple[n.SourceFile | None, list[Diagnostic]]]

_NAMED = n.NAMED_TYPES


@dataclass
class Imports:
    """Everything the main file's imports bring in, and the diagnostics of loading them."""

    templates: dict[str, n.TemplateDecl] = field(default_factory=dict)
    files: dict[str, n.SourceFile] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def find_import(spec: str, importer: Path) -> Path | None:
    """Resolve `import "x"`: beside the importer first, then in the standard library."""
    names = [spec] if spec.endswith(".clause") else [spec, spec + ".clause"]
    for base in (importer.parent, stdlib_dir()):
        for name in names:
            candidate = (base / name).resolve()
            if candidate.is_file():
                return _relative_to_cwd(candidate)
    return None


def _relative_to_cwd(path: Path) -> Path:
    """Diagnostics read better with the path the author would type."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def load_imports(source: n.SourceFile, load: Loader) -> Imports:
    """Load the imports of `source` transitively; each file once, cycles tolerated. A file
    imported `as lib` also registers its templates as `lib.<template>`."""
    result = Imports()
    pending = [(source, Path(source.path))]
    queued = {source.path}
    while pending:
        current, path = pending.pop()
        for item in current.items:
            if isinstance(item, n.TemplateDecl):
                result.templates.setdefault(item.name, item)
            elif isinstance(item, n.ImportDecl):
                loaded = _load_one(item, path, load, result)
                if loaded is not None and item.alias:
                    for template in loaded.items:
                        if isinstance(template, n.TemplateDecl):
                            result.templates[f"{item.alias}.{template.name}"] = template
                if loaded is not None and loaded.path not in queued:
                    queued.add(loaded.path)
                    pending.append((loaded, Path(loaded.path)))
    return result


def _load_one(
    item: n.ImportDecl, importer: Path, load: Loader, result: Imports
) -> n.SourceFile | None:
    found = find_import(item.path, importer)
    if found is None:
        result.diagnostics.append(
            Diagnostic(
                "CC210",
                f"cannot find import '{item.path}'",
                item.span,
                help=f"imports are looked up beside {importer.name} and in the standard library "
                "(stdlib/); `clausec check stdlib` lists what it holds",
            )
        )
        return None
    if str(found) in result.files:
        return result.files[str(found)]
    loaded, diagnostics = load(found)
    result.diagnostics.extend(diagnostics)
    if loaded is not None:
        result.files[str(found)] = loaded
    return loaded


def expand_contract(
    contract: n.ContractDecl, imports: Imports
) -> tuple[n.ContractDecl, list[Diagnostic]]:
    """Replace every `use` in `contract` with the members of its template."""
    diagnostics: list[Diagnostic] = []
    members: list[n.Member] = []
    facts: dict[str, n.FactDecl] = {
        m.name: m for m in contract.members if isinstance(m, n.FactDecl)
    }
    params = {m.name: m for m in contract.members if isinstance(m, n.ParamDecl)}
    for member in contract.members:
        if not isinstance(member, n.UseDecl):
            members.append(member)
            continue
        template = imports.templates.get(member.template.dotted)
        if template is None:
            diagnostics.append(
                Diagnostic(
                    "CC210",
                    f"unknown template '{member.template.dotted}'",
                    member.template.span,
                    help=did_you_mean(member.template.dotted, imports.templates)
                    or 'import the file that defines it, e.g. import "availability_sla"',
                )
            )
            continue
        expanded, problems = instantiate(template, member, params)
        diagnostics.extend(problems)
        for item in expanded:
            if isinstance(item, n.FactDecl):
                is_new = item.name not in facts
                diagnostics.extend(_merge_fact(facts, item, member))
                if not is_new:
                    continue
            members.append(item)
    return dataclasses.replace(contract, members=tuple(members)), diagnostics


def _merge_fact(facts: dict[str, n.FactDecl], fact: n.FactDecl, use: n.UseDecl) -> list[Diagnostic]:
    existing = facts.get(fact.name)
    if existing is None:
        facts[fact.name] = fact
        return []
    if _shape(existing) == _shape(fact):
        return []
    return [
        Diagnostic(
            "CC202",
            f"fact '{fact.name}' from template '{use.template.dotted}' differs from the "
            "one already declared",
            use.span,
            notes=(f"first declared at {existing.span}",),
            help="give both declarations the same fields, or rename one of them",
        )
    ]


def _shape(fact: n.FactDecl) -> tuple[Any, ...]:
    return fact.key, tuple((f.name, f.type.name, f.type.enum, f.type.optional) for f in fact.fields)


def instantiate(
    template: n.TemplateDecl,
    use: n.UseDecl,
    contract_params: Mapping[str, n.ParamDecl] | None = None,
) -> tuple[list[n.Member], list[Diagnostic]]:
    """The members of `template` bound to the arguments of `use`. Each clause records its
    `Origin`: the `use` and the parameters it reads, so that its text can show their values."""
    params = {m.name: m for m in template.members if isinstance(m, n.ParamDecl)}
    bindings, diagnostics = _bind_arguments(params, use)
    read = set().union(*(_params_used(m, params) for m in template.members))
    members: list[n.Member] = _lift_enums(params, bindings, use.alias, read, contract_params)
    local = {m.name for m in template.members if isinstance(m, _NAMED)}
    substitute = _Substitution(use.alias, bindings, local)
    for member in template.members:
        if isinstance(member, n.ParamDecl | n.SummaryStmt):
            continue
        if isinstance(member, n.UseDecl):
            diagnostics.append(
                Diagnostic(
                    "CC210",
                    "a template cannot use another template",
                    member.span,
                    help="import both templates into the contract and use each there",
                )
            )
            continue
        renamed = rewrite(member, substitute)
        if isinstance(renamed, _NAMED):
            ref = use.ref if use.ref and renamed.ref is None else renamed.ref
            renamed = dataclasses.replace(renamed, name=f"{use.alias}.{member.name}", ref=ref)  # type: ignore[union-attr]
        if isinstance(renamed, n.CLAUSE_TYPES):
            origin = _origin(use, params, _params_used(member, params), contract_params or {})
            renamed = dataclasses.replace(renamed, origin=origin)
        members.append(renamed)
    return members, diagnostics


def _lift_enums(
    params: Mapping[str, n.ParamDecl],
    bindings: dict[str, n.Expr],
    alias: str,
    read: set[str],
    contract_params: Mapping[str, n.ParamDecl] | None,
) -> list[n.Member]:
    """An enum parameter the template reads becomes a parameter of the contract,
    `alias.name`, set to its argument. Substituted in place, its value would be a bare name
    such as `at_most`, which is only an enum value where the other side of a comparison says
    which enum: in the template's `direction == at_least` neither side would. An argument
    that names a contract parameter is substituted as that name, which has its type."""
    lifted: list[n.Member] = []
    for name, param in params.items():
        value = bindings.get(name)
        if not param.type.enum or value is None or name not in read:
            continue
        if isinstance(value, n.Name) and value.name in (contract_params or {}):
            continue
        lifted.append(n.ParamDecl(f"{alias}.{name}", param.type, value, param.span))
        bindings[name] = n.Name(f"{alias}.{name}", value.span)
    return lifted


def _params_used(member: n.Member, params: Mapping[str, n.ParamDecl]) -> set[str]:
    """The template parameters `member` reads: in expressions, or as a party or role."""
    used: set[str] = set()
    for node in walk(member):
        if isinstance(node, n.Name):
            used.add(node.name)
        elif isinstance(node, n.ObligationStmt) and node.kind == "creditor" and node.name:
            used.add(node.name)
        for name in _PARTY_FIELDS.get(type(node), ()):
            value = getattr(node, name)
            used.update(value if isinstance(value, tuple) else (value,) if value else ())
    return used & params.keys()


def _origin(
    use: n.UseDecl,
    params: Mapping[str, n.ParamDecl],
    used: set[str],
    contract_params: Mapping[str, n.ParamDecl],
) -> n.Origin:
    """The bindings of the parameters in `used`, in the template's order: the argument, or
    the default; an argument may name a contract parameter."""
    args = {a.name: a.value for a in use.args}
    bindings: list[n.Binding] = []
    for name, param in params.items():
        value = args.get(name, param.default)
        if name not in used or value is None:
            continue
        named = value.name if isinstance(value, n.Name) else None
        contract_param = named if named in contract_params else None
        bindings.append(n.Binding(name, value.span, contract_param, default=name not in args))
    return n.Origin(use.template.dotted, use.alias, use.ref, use.span, tuple(bindings))


def _bind_arguments(
    params: dict[str, n.ParamDecl], use: n.UseDecl
) -> tuple[dict[str, n.Expr], list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    bindings: dict[str, n.Expr] = {}
    for arg in use.args:
        if arg.name not in params:
            diagnostics.append(
                Diagnostic(
                    "CC211",
                    f"template '{use.template.dotted}' has no parameter '{arg.name}'",
                    arg.span,
                    help=did_you_mean(arg.name, params)
                    or f"its parameters are: {', '.join(sorted(params)) or 'none'}",
                )
            )
        bindings[arg.name] = arg.value
    for name, param in params.items():
        if name in bindings:
            continue
        if param.default is None:
            diagnostics.append(
                Diagnostic(
                    "CC211",
                    f"missing argument '{name}' for template '{use.template.dotted}'",
                    use.span,
                    help=f"add `{name}: <{param.type.name or 'value'}>` to the arguments",
                )
            )
        else:
            bindings[name] = param.default
    return bindings, diagnostics


# Fields that hold the name of a party or role, which a template takes as a parameter.
_PARTY_FIELDS: dict[type, tuple[str, ...]] = {
    n.OwnerStmt: ("role",),
    n.InformStmt: ("roles",),
    n.Notify: ("roles",),
    n.Duty: ("debtor",),
    n.Power: ("holder",),
    n.LevelAction: ("roles", "party"),
    n.GoalStmt: ("owner",),
    n.CloseoutStmt: ("role",),
}


@dataclass
class _Substitution:
    alias: str
    bindings: dict[str, n.Expr]
    local: set[str]

    def name_of(self, value: str) -> str:
        bound = self.bindings.get(value)
        return bound.name if isinstance(bound, n.Name) else value

    def __call__(self, node: Any) -> Any:
        if isinstance(node, n.Name):
            if node.name in self.bindings:
                return self.bindings[node.name]
            if node.name in self.local:
                return n.Name(f"{self.alias}.{node.name}", node.span)
        if isinstance(node, n.QName) and node.parts[0] in self.local:
            return n.QName((self.alias, *node.parts), node.span)
        if isinstance(node, n.SlaStmt) and node.metric is not None:
            return node
        if isinstance(node, n.ObligationStmt) and node.kind == "creditor" and node.name:
            return dataclasses.replace(node, name=self.name_of(node.name))
        return self._rename_parties(node)

    def _rename_parties(self, node: Any) -> Any:
        fields = _PARTY_FIELDS.get(type(node))
        if not fields:
            return node
        changes: dict[str, Any] = {}
        for name in fields:
            value = getattr(node, name)
            if isinstance(value, tuple):
                changes[name] = tuple(self.name_of(v) for v in value)
            elif isinstance(value, str):
                changes[name] = self.name_of(value)
        return dataclasses.replace(node, **changes)
