"""Rasa's prediction graph run node after node, in an order computed once.

Every message runs Rasa's graph (the NLU pipeline), and every action
prediction runs it again (the policies): three runs or more a turn. Rasa
3.6.21's ``DaskGraphRunner.run`` rebuilds the minimal schema for the targets,
builds a dask graph of it and hands it to dask's synchronous scheduler, which
orders the tasks again each time. Profiled under ``make bench-load`` that
bookkeeping was 6 % of a production Rasa server's busy samples, outside the
components themselves (docs/benchmarks.md). The graph never changes once
loaded, so this runner plans each set of targets once (the nodes they need,
dependencies first) and calls the same nodes with the same inputs: a node
gets its needs' ``(name, output)`` pairs, an input arrives as
``(input name, value)``, as with dask. Training still uses Rasa's runner.

Installed by ``engine.serve`` for the model Rasa loads to predict. Checked
against Rasa 3.6.21 (``rasa/engine/runner/dask.py``, ``rasa/core/processor.py``).
"""

from __future__ import annotations

from typing import Any

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

# A node: its name and the names it needs (nodes or inputs), in argument order.
Step = tuple[str, tuple[str, ...]]


class SequentialGraphRunner(DaskGraphRunner):
    """``DaskGraphRunner`` without dask: each target set's plan is computed once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, ...], list[Step]] = {}

    def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
        """The targets' ``(name, output)`` pairs by name, as Rasa's runner returns them."""
        run_targets = tuple(targets or self._graph_schema.target_names)
        values: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if name in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{name}' clashes with a node name. Make sure that none of the input names "
                    f"passed to the `run` method are the same as node names in the graph schema."
                )
            values[name] = (name, value)
        try:
            for name, needs in self._plan(run_targets):
                values[name] = self._instantiated_nodes[name](*(values.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(values[target] for target in run_targets)

    def _plan(self, targets: tuple[str, ...]) -> list[Step]:
        plan = self._plans.get(targets)
        if plan is None:
            plan = self._plans[targets] = self._order(targets)
        return plan

    def _order(self, targets: tuple[str, ...]) -> list[Step]:
        """The nodes the targets need, each after everything it needs."""
        nodes = self._graph_schema.nodes
        ordered: list[Step] = []
        placed: set[str] = set()

        def place(name: str) -> None:
            if name in placed or name not in nodes:  # done, or an input
                return
            placed.add(name)
            needs = tuple(nodes[name].needs.values())
            for need in needs:
                place(need)
            ordered.append((name, needs))

        for target in targets:
            place(target)
        return ordered


def install() -> None:
    """Predict with this runner in this process (Rasa's processor loads models with it)."""
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
