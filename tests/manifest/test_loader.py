"""The malformed-manifest corpus: every file is refused with exit 2 and a precise location."""

from __future__ import annotations

from pathlib import Path

import pytest

from dde_ci.errors import ValidationError
from dde_ci.manifest.loader import load_manifest, load_manifest_text, manifest_warnings

BAD = Path(__file__).resolve().parents[1] / "data" / "manifests" / "bad"

# file -> (line:col, message) of the first error reported
EXPECTED: dict[str, tuple[str, str]] = {
    "01-empty": ("1:1", "manifest is empty; expected a YAML mapping"),
    "02-only-comment": ("1:1", "manifest is empty; expected a YAML mapping"),
    "03-list-document": ("1:1", "manifest must be a YAML mapping, not a list"),
    "04-scalar-document": ("1:1", "manifest must be a YAML mapping, not a str"),
    "05-two-documents": ("5:1", "manifest holds more than one YAML document ('---'); keep one"),
    "06-duplicate-top-key": ("3:1", "duplicate key 'workflow' (first defined at line 2)"),
    "07-duplicate-node-key": ("6:5", "duplicate key 'type' (first defined at line 5)"),
    "08-tab-indent": ("4:1", "invalid YAML: found character that cannot start any token"),
    "09-unclosed-flow": ("4:1", "invalid YAML: did not find expected ',' or ']'"),
    "10-latin1": ("2:14", "file is not valid UTF-8 (byte 0xe9); save it as UTF-8"),
    "11-deep-nesting": ("6:71", "manifest is nested more than 64 levels deep; refusing it"),
    "12-billion-laughs": ("9:8", "manifest expands to more than 2,000,000 values (aliases?)"),
    "13-unknown-top-key": ("1:1", "manifest is missing the required key 'nodes'"),
    "14-unknown-node-key": (
        "8:5",
        "unknown key 'depends' in nodes[1] (B) (did you mean 'depends_on'?)",
    ),
    "15-missing-node-type": ("4:5", "nodes[0] (A) is missing the required key 'type'"),
    "16-missing-nodes": ("1:1", "manifest is missing the required key 'nodes'"),
    "17-bad-node-id": ("4:9", "nodes[0] (1-first).id: '1-first' is not valid; use a letter"),
    "18-bad-node-type": (
        "5:11",
        "nodes[0] (A).type: 'interfac' is not one of 'interface', 'implementation', ",
    ),
    "19-unknown-dependency": (
        "8:18",
        "node 'BE-ORDERS' depends on unknown node 'DB-SCHEMA' (did you mean 'DB.SCHEMA'?)",
    ),
    "20-cycle": ("6:10", "dependency cycle (each depends on the next): A -> C -> B -> A"),
    "21-self-dependency": ("6:18", "node 'A' depends on itself"),
    "22-duplicate-node-id": ("6:10", "duplicate node id 'A' (first used by node 1)"),
    "23-unknown-contract": (
        "7:47",
        "node 'BE' consumes unknown contract 'order-api' (did you mean 'orders-api'?)",
    ),
    "24-contract-produced-twice": ("7:44", "contract 'orders-api' is produced by both 'API1'"),
    "25-produced-by-implementation": ("6:47", "only interface nodes produce contracts"),
    "26-interface-produces-nothing": ("5:11", "interface node 'API' produces no contract"),
    "27-artifact-escapes": ("6:32", "artifact pattern '../../etc/passwd' must be relative"),
    "28-contract-absolute-path": ("4:61", "contract path '/etc/passwd' must be a relative path"),
    "29-python-tag": ("5:11", "unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'"),
    "30-retry-zero-attempts": (
        "7:21",
        "retry.max_attempts: 0 is not valid; it should be greater than or equal to 1",
    ),
    "31-bad-duration": ("6:14", "'ten minutes' is not a duration; use seconds or '90s'"),
    "32-no-runner-offers": ("10:19", "no runner offers Frontend:React for node 'A'"),
    "33-reserved-env": ("7:21", "environment variable 'GITHUB_TOKEN' is reserved"),
    "34-no-nodes": ("3:8", "nodes: list should have at least 1 item"),
    "35-non-string-key": ("7:9", "mapping keys must be strings, not collections"),
    "36-unknown-contract-type": (
        "4:46",
        "contracts[0].type: 'swagger' is not one of 'openapi', 'jsonschema', 'graphql'",
    ),
    "37-unknown-default-agent": (
        "4:18",
        "settings.default_agent 'builder' is not an agent (did you mean 'builders'?)",
    ),
    "38-proficiency-out-of-range": (
        "7:40",
        "proficiency: 9 is not valid; it should be less than or equal to 5",
    ),
    "39-nul-byte": ("2:1", "manifest contains a NUL character"),
}


def test_corpus_is_complete() -> None:
    files = sorted(p.stem for p in BAD.glob("*.yaml"))
    assert files == sorted(EXPECTED)
    assert len(files) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_manifest_exits_2_with_location(
    name: str, cli: object, capsys: pytest.CaptureFixture[str]
) -> None:
    path = BAD / f"{name}.yaml"
    from dde_ci.cli.main import main

    code = main(["validate", "-m", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in out + err
    where, message = EXPECTED[name]
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:{where}: "), first
    assert message in first


def test_all_errors_are_reported_in_one_run(tmp_path: Path) -> None:
    text = """\
version: "1"
workflow: w
nodes:
  - {id: A, type: test, depends_on: [Z]}
  - {id: B, type: test, depends_on: [Y]}
  - {id: A, type: test}
"""
    with pytest.raises(ValidationError) as info:
        load_manifest_text(text, tmp_path / "dde.yaml")
    messages = [d.message for d in info.value.diagnostics]
    assert len(messages) == 3
    assert any("'Z'" in m for m in messages)
    assert any("'Y'" in m for m in messages)
    assert any("duplicate node id 'A'" in m for m in messages)


def test_shape_errors_are_all_reported(tmp_path: Path) -> None:
    text = """\
workflow: w
nodes:
  - {id: A, type: nope}
  - {id: B, type: test, timeout: soon, colour: red}
"""
    with pytest.raises(ValidationError) as info:
        load_manifest_text(text, tmp_path / "dde.yaml")
    found = [str(d) for d in info.value.diagnostics]
    assert [f.split(": ")[0] for f in found] == [
        f"{tmp_path / 'dde.yaml'}:3:19",
        f"{tmp_path / 'dde.yaml'}:4:34",
        f"{tmp_path / 'dde.yaml'}:4:40",
    ]


def test_yaml_11_look_alikes_keep_their_meaning(tmp_path: Path) -> None:
    text = """\
version: 3.10
workflow: w
nodes:
  - id: on
    type: test
    env: {MODE: 0755, FLAG: yes, RATIO: 1e3, OFF: off}
  - id: no
    type: test
    depends_on: [on]
"""
    manifest = load_manifest_text(text, tmp_path / "dde.yaml")
    assert manifest.version == "3.10"
    assert manifest.node_ids == ["on", "no"]
    assert manifest.node("no").depends_on == ["on"]
    assert manifest.node("on").env == {"MODE": "0755", "FLAG": "yes", "RATIO": "1e3", "OFF": "off"}


def test_oversized_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dde_ci.cli.main import main

    path = tmp_path / "dde.yaml"
    path.write_bytes(b"# padding\n" * (2 * 1024 * 1024))
    assert main(["validate", "-m", str(path)]) == 2
    assert "over the limit of 16,777,216 bytes" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dde_ci.cli.main import main

    assert main(["validate", "-m", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'nope.yaml'}: manifest not found"


def test_example_manifest_loads(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLE_MANIFEST

    manifest = load_manifest(EXAMPLE_MANIFEST)
    assert len(manifest.nodes) >= 12
    assert manifest.root == EXAMPLE_MANIFEST.parent.absolute()
    assert {n.type.value for n in manifest.nodes} >= {
        "interface",
        "implementation",
        "test",
        "integration",
        "deployment",
    }
    assert manifest_warnings(manifest) == []


def test_unserved_node_falls_back_to_default_with_warning(tmp_path: Path) -> None:
    text = """\
workflow: w
settings: {default_runs_on: [self-hosted]}
runners:
  - {name: py, labels: [self-hosted, py], capabilities: ["Backend:Python"]}
nodes:
  - {id: A, type: test, capabilities: ["Frontend:React"]}
"""
    manifest = load_manifest_text(text, tmp_path / "dde.yaml")
    warnings = manifest_warnings(manifest)
    assert len(warnings) == 1
    assert "falls back to the default runner labels ['self-hosted']" in warnings[0].message
    assert warnings[0].location is not None and warnings[0].location.line == 6


def test_huge_timeouts_and_delays_are_refused_with_their_place(tmp_path: Path) -> None:
    """A timeout of 3,000,000 h or a retry delay of a year cannot be waited for: bad input."""
    text = """\
workflow: w
nodes:
  - id: A
    type: test
    timeout: 3000000h
    retry: {max_attempts: 2, initial_delay: 31536000, max_delay: 8000h}
"""
    with pytest.raises(ValidationError) as info:
        load_manifest_text(text, tmp_path / "dde.yaml")
    assert info.value.exit_code == 2
    shown = [str(d) for d in info.value.diagnostics]
    assert any(
        ":5:14: nodes[0] (A).timeout: '3000000h' is not valid; it should be less than or equal to"
        in s
        for s in shown
    )
    assert any("retry.initial_delay" in s for s in shown)
    assert any("retry.max_delay" in s for s in shown)


def test_a_shape_error_does_not_hide_reference_errors(tmp_path: Path) -> None:
    """validate reports every problem in one run: a bad type, a negative effort and a
    misspelt depends_on together."""
    from dde_ci.errors import ValidationError
    from dde_ci.manifest.loader import load_manifest

    path = tmp_path / "dde.yaml"
    path.write_text(
        "workflow: w\n"
        "contracts:\n"
        "  - {name: orders-api, type: openapi, path: api.yaml, domain: shop}\n"
        "nodes:\n"
        "  - id: API\n"
        "    type: spaceship\n"
        "    estimated_effort: -3\n"
        "    produces: [orders-api]\n"
        "  - id: BE\n"
        "    type: implementation\n"
        "    depends_on: [APl]\n"
        "    consumes: [order-api]\n"
    )
    with pytest.raises(ValidationError) as caught:
        load_manifest(path)
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{path}:6:11: nodes[0] (API).type: 'spaceship' is not one of 'interface', "
        "'implementation', 'test', 'integration', 'deployment', 'action'",
        f"{path}:7:23: nodes[0] (API).estimated_effort: -3 is not valid; it should be "
        "greater than or equal to 0",
        f"{path}:11:18: node 'BE' depends on unknown node 'APl' (did you mean 'API'?)",
        f"{path}:12:16: node 'BE' consumes unknown contract 'order-api' "
        "(did you mean 'orders-api'?)",
    ]


def test_a_rejected_enum_value_is_named_with_the_closest(tmp_path: Path) -> None:
    from dde_ci.errors import ValidationError
    from dde_ci.manifest.loader import load_manifest

    path = tmp_path / "dde.yaml"
    path.write_text("workflow: w\nnodes:\n  - {id: A, type: deploy}\n")
    with pytest.raises(ValidationError) as caught:
        load_manifest(path)
    assert str(caught.value.diagnostics[0]).endswith(
        "nodes[0] (A).type: 'deploy' is not one of 'interface', 'implementation', 'test', "
        "'integration', 'deployment', 'action' (did you mean 'deployment'?)"
    )


def test_a_misspelt_capability_names_the_one_an_agent_offers(tmp_path: Path) -> None:
    from dde_ci.errors import ValidationError
    from dde_ci.manifest.loader import load_manifest

    path = tmp_path / "dde.yaml"
    path.write_text(
        "workflow: w\n"
        "agents:\n"
        "  - {id: web, capabilities: [Frontend:JavaScript]}\n"
        "nodes:\n"
        "  - {id: A, type: test, capabilities: [Frontend:Javscript]}\n"
    )
    with pytest.raises(ValidationError) as caught:
        load_manifest(path)
    assert str(caught.value.diagnostics[0]) == (
        f"{path}:5:39: no agent offers Frontend:Javscript (did you mean "
        "'Frontend:JavaScript'?) for node 'A'; add the capability to an agent or set "
        "'settings.default_agent'"
    )
