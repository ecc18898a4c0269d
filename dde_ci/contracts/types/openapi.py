"""OpenAPI 3.0 and 3.1 contracts, checked by :mod:`.openapi_checks`.

Remote ``$ref`` s and self-including ones are refused first (:mod:`._refcheck`),
so the checks only ever see a document whose references stay inside the project.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dde_ci.contracts.types import LoadedContract, canonical_json
from dde_ci.contracts.types._refcheck import check_refs, has_file_refs
from dde_ci.errors import Diagnostic, InputError

_VERSION = re.compile(r"^3\.(0|1)\.\d+\Z")


def json_pointer(path: Any) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else ""


def _written_prefix(data: Any, path: list[Any]) -> list[Any]:
    """The longest start of ``path`` that is written in ``data`` (not reached through a $ref)."""
    node, out = data, []
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        out.append(part)
    return out


class OpenApiType:
    name = "openapi"

    def load(self, path: Path, root: Path) -> LoadedContract:
        from dde_ci.contracts.refs import read_document

        doc = read_document(path, root)
        if not isinstance(doc.data, dict):
            raise InputError("an OpenAPI document must be a mapping", doc.locate(()))
        return LoadedContract(
            self.name, path, doc.display, doc.text, doc.data, doc, None, not has_file_refs(doc.data)
        )

    def prepare(self, loaded: LoadedContract, root: Path) -> list[Diagnostic]:
        doc = loaded.document
        assert doc is not None
        version = loaded.data.get("openapi")
        if not isinstance(version, str) or not _VERSION.match(version):
            shown = "missing" if version is None else repr(version)
            return [
                Diagnostic(
                    f"'openapi' is {shown}; dde-ci checks OpenAPI 3.0.x and 3.1.x documents",
                    doc.locate(("openapi",)),
                )
            ]
        resolved, problems = check_refs(doc, root)
        if problems:
            return problems
        loaded.resolved = resolved
        return []

    def validate(self, loaded: LoadedContract, root: Path) -> list[Diagnostic]:
        problems = self.prepare(loaded, root) if loaded.resolved is None else []
        if problems:
            return problems
        doc = loaded.document
        assert doc is not None
        data = loaded.data
        from dde_ci.contracts.types.openapi_checks import validate_openapi

        resolved = loaded.resolved
        written = data if loaded.self_contained else resolved
        out: list[Diagnostic] = []
        for problem in validate_openapi(written, resolved):
            path = list(problem.path)
            location = doc.locate(tuple(_written_prefix(data, path)))
            message = f"{problem.message} (at {json_pointer(path)})" if path else problem.message
            out.append(Diagnostic(message, location))
        return out

    def canonical(self, loaded: LoadedContract) -> bytes:
        return canonical_json(loaded.resolved if loaded.resolved is not None else loaded.data)
