"""The layers of `coopapp` point one way, and no package or module imports itself in a circle.

The intended order, lowest first; a module may import from its own layer's packages or from
a lower layer, never from a higher one:

    1. extensions, errors        the unbound extensions and the domain errors
    2. core                      money, units, codes, periods, transactions, vocabulary, shared form fields
    3. models                    the tables
    4. access                    scope, accounts, the audit chain
       settings                  a county's own rules (tiers, categories, thresholds)
    5. ledger                    entries, review, month close, the summary tables' upkeep
    6. villages                  projects, households, privacy, statements
    7. distributions             plans, their lines, objections
    8. disclosure                村务公开: notices and periods
    9. reporting                 metrics, comparison, dashboard, chart data, exports
   10. imports, charts, demo, backup
   11. web, api, cli             the interfaces
   12. coopapp (create_app)

Imports inside functions count as much as those at the top: a lazy import is still a
dependency. The test reads the source (ast); it imports nothing.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "coopapp"
LAYERS = [
    {"extensions", "errors"},
    {"core"},
    {"models"},
    {"access"},
    {"settings"},
    {"ledger"},
    {"vouchers"},
    {"villages"},
    {"distributions"},
    {"disclosure"},
    {"reporting"},
    {"imports", "charts", "demo", "backup"},
    {"web", "api", "cli"},
    {""},  # coopapp/__init__.py: the app factory
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The coopapp modules `path` imports (a `from pkg import name` counts as pkg.name when that is a module)."""
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "coopapp"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "coopapp":
                continue
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                out.add(sub if sub in MODULES else module)
    out.discard(me)
    return out


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}
GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _top(module: str) -> str:
    """The top-level package (layer member) of a coopapp module: coopapp.ledger.forms → ledger."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_top_level_package_has_a_layer():
    assert {_top(m) for m in MODULES} <= set(RANK), "add the new package to LAYERS (and to the README)"


def test_imports_point_down():
    upward = [
        f"{m} → {target}"
        for m, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if RANK[_top(target)] > RANK[_top(m)]
    ]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package(module: str) -> str:
    return module if module in MODULES and MODULES[module].name == "__init__.py" else module.rpartition(".")[0]


@pytest.mark.parametrize("level", ["module", "package"])
def test_no_import_cycles(level):
    if level == "module":
        graph = GRAPH
    else:
        graph = defaultdict(set)
        for m, targets in GRAPH.items():
            for t in targets:
                # a package's own __init__ importing its modules (or a module its package) is not a cycle
                if not (t.startswith(_package(m) + ".") or m.startswith(_package(t) + ".")) and _package(t) != _package(
                    m
                ):
                    graph[_package(m)].add(_package(t))
    cycles = _cycles(dict(graph))
    assert not cycles, f"{level} import cycles:\n" + "\n".join(" ⇄ ".join(c) for c in cycles)


def test_the_graph_is_read():
    """The checks above would pass on an empty graph: make sure the imports really were found."""
    assert "coopapp.core.money" in GRAPH["coopapp.ledger.operations"] or any(
        t.startswith("coopapp.core") for t in GRAPH["coopapp.ledger.operations"]
    )
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
