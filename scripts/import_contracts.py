"""Custom import-linter contracts for NBopen (loaded by ``.importlinter``; run ``lint-imports``).

``acyclic_modules``: no import cycle between the *modules* below a package. import-linter's own
``acyclic_siblings`` works on packages (``repos`` ↔ ``access`` is a package cycle, since the
policy reads repository models and repository services ask the policy), which is the shape of
a Django project with one app per bounded context; what we forbid is a module that, through any
chain, imports itself: that is what makes import order matter and refactors break at start-up.
Imports under ``if TYPE_CHECKING:`` are excluded by the session option.
"""

from __future__ import annotations

from collections.abc import Iterable

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def strongly_connected(nodes: Iterable[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph has a few hundred modules): components > 1."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


class AcyclicModulesContract(Contract):
    type_name = "acyclic_modules"

    package = fields.StringField()

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        root = str(self.package)  # type: ignore[attr-defined]
        inside = {m for m in graph.modules if m == root or m.startswith(root + ".")}
        edges = {
            module: {i for i in graph.find_modules_directly_imported_by(module) if i in inside}
            for module in inside
        }
        cycles = strongly_connected(inside, edges)
        details = [
            [(a, b) for a in cycle for b in sorted(edges[a]) if b in cycle] for cycle in cycles
        ]
        return ContractCheck(kept=not cycles, metadata={"cycles": cycles, "edges": details})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle, edges in zip(check.metadata["cycles"], check.metadata["edges"], strict=True):
            output.print_error(f"Import cycle between {', '.join(cycle)}:")
            output.new_line()
            for importer, imported in edges:
                output.print(f"- {importer} -> {imported}")
            output.new_line()
