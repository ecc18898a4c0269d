"""The graph: orders, cycles, levels, critical path and transitive reduction."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dde_ci.errors import InputError
from dde_ci.graph import Graph, build_graph, find_cycle, graph_from_edges
from dde_ci.manifest.loader import load_manifest_text


@st.composite
def dags(draw: st.DrawFn, max_nodes: int = 14) -> tuple[list[str], list[tuple[str, str]]]:
    """A random DAG: edges only go from a lower to a higher index of a random permutation."""
    n = draw(st.integers(min_value=1, max_value=max_nodes))
    ids = [f"N{i}" for i in range(n)]
    order = draw(st.permutations(ids))
    pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    return ids, edges


@st.composite
def digraphs(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]]]:
    n = draw(st.integers(min_value=1, max_value=7))
    ids = [f"N{i}" for i in range(n)]
    pairs = [(a, b) for a in ids for b in ids]
    return ids, draw(st.lists(st.sampled_from(pairs), max_size=16))  # repeats, self-loops


def _has_cycle_brute_force(ids: list[str], edges: list[tuple[str, str]]) -> bool:
    """A cycle exists iff some node reaches itself (reference: repeated relaxation)."""
    reach = {a: {b for x, b in edges if x == a} for a in ids}
    for _ in ids:
        for a in ids:
            for b in list(reach[a]):
                reach[a] |= reach[b]
    return any(a in reach[a] for a in ids)


@given(dags())
def test_order_respects_every_edge(dag: tuple[list[str], list[tuple[str, str]]]) -> None:
    ids, edges = dag
    graph = graph_from_edges(ids, edges)
    position = {n: i for i, n in enumerate(graph.order)}
    assert sorted(graph.order) == sorted(ids)
    for a, b in edges:
        assert position[a] < position[b]
    for a, b in edges:
        assert graph.level_of[a] < graph.level_of[b]
    assert [n for level in graph.levels for n in level] != [] and sum(
        map(len, graph.levels)
    ) == len(ids)


@given(digraphs())
@settings(max_examples=300)
def test_cycle_detector_agrees_with_brute_force(
    g: tuple[list[str], list[tuple[str, str]]],
) -> None:
    ids, edges = g
    preds: dict[str, list[str]] = {n: [] for n in ids}
    for a, b in edges:
        preds[b].append(a)
    cycle = find_cycle(preds)
    assert (cycle is not None) == _has_cycle_brute_force(ids, edges)
    if cycle is not None:
        assert cycle[0] == cycle[-1]
        for dependent, dependency in itertools.pairwise(cycle):
            assert dependency in preds[dependent]


@given(dags())
def test_transitive_reduction_keeps_reachability(
    dag: tuple[list[str], list[tuple[str, str]]],
) -> None:
    ids, edges = dag
    graph = graph_from_edges(ids, edges)
    reduced = Graph(ids=list(ids), preds={n: list(graph.reduced_preds[n]) for n in ids})
    assert reduced.reach == graph.reach
    # minimal: dropping any remaining edge changes reachability
    for node in ids:
        for p in reduced.preds[node]:
            preds = {n: [x for x in reduced.preds[n] if (n, x) != (node, p)] for n in ids}
            assert Graph(ids=list(ids), preds=preds).reach != graph.reach


@given(dags())
def test_critical_path_is_a_heaviest_path(dag: tuple[list[str], list[tuple[str, str]]]) -> None:
    ids, edges = dag
    graph = graph_from_edges(ids, edges)
    path = graph.critical_path
    for a, b in itertools.pairwise(path):
        assert a in graph.preds[b]
    assert not graph.preds[path[0]] and not graph.succs[path[-1]]

    def longest(node: str) -> float:
        return 1 + max((longest(s) for s in graph.succs[node]), default=0)

    assert len(path) == max(longest(n) for n in ids)


def test_cycle_in_graph_raises() -> None:
    with pytest.raises(InputError, match=r"A -> B -> A|B -> A -> B"):
        graph_from_edges(["A", "B"], [("A", "B"), ("B", "A")])


MANIFEST = """\
workflow: w
settings: {interface_first: %s}
contracts:
  - {name: api, domain: d, type: openapi, path: api.yaml}
nodes:
  - {id: API, type: interface, produces: [api], estimated_effort: 10}
  - {id: DB, type: implementation, estimated_effort: 100}
  - {id: BE, type: implementation, consumes: [api], depends_on: [DB], estimated_effort: 50}
  - {id: FE, type: implementation, estimated_effort: 5}
  - {id: IT, type: integration, depends_on: [BE, FE, DB]}
"""


def test_implicit_edges_and_strict_interface_first(tmp_path: Path) -> None:
    dependent = build_graph(load_manifest_text(MANIFEST % "dependent", tmp_path / "dde.yaml"))
    assert dependent.preds["BE"] == ["API", "DB"]
    assert dependent.preds["FE"] == []
    assert dependent.reduced_preds["IT"] == ["BE", "FE"]
    assert dependent.critical_path == ["DB", "BE", "IT"]
    assert dependent.levels == [["API", "DB", "FE"], ["BE"], ["IT"]]
    strict = build_graph(load_manifest_text(MANIFEST % "strict", tmp_path / "dde.yaml"))
    assert strict.preds["FE"] == ["API"]
    assert strict.preds["DB"] == ["API"]
    assert strict.critical_path == ["API", "DB", "BE", "IT"]
    assert strict.order == ["API", "DB", "BE", "FE", "IT"]
