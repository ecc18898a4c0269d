"""OpenAPI 3.0 and 3.1 contracts, checked with openapi-spec-validator.

The validator would fetch remote ``$ref`` s and recurse without end on a
self-including ``$ref``; both are refused first (:mod:`._refcheck`), so it only
ever sees a document whose references stay inside the project.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dde_ci.contracts.types import LoadedContract, canonical_json
from dde_ci.contracts.types._refcheck import check_refs, has_file_refs
from dde_ci.errors import Diagnostic, InputError, Location

_VERSION = re.compile(r"^3\.(0|1)\.\d+\Z")


def json_pointer(path: Any) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else ""


def _exists(data: Any, path: list[Any]) -> bool:
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return True


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
        problems = self.prepare(loaded, root)
        if problems:
            return problems
        doc = loaded.document
        assert doc is not None
        data = loaded.data
        version = str(data["openapi"])
        resolved = loaded.resolved
        from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

        cls: Any = OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator
        target = data if loaded.self_contained else resolved
        out: list[Diagnostic] = []
        try:
            validator = cls(target, base_uri=loaded.path.resolve().as_uri())
            for error in validator.iter_errors():
                path = list(error.absolute_path)
                if path and _exists(target, path):
                    location = doc.locate(tuple(path))
                    message = f"{error.message} (at {json_pointer(path)})"
                else:
                    location = doc.locate(())
                    message = error.message
                out.append(Diagnostic(message, location))
                if len(out) >= 100:
                    break
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            # the semantic checks walk the document assuming its structure is valid;
            # when it is not, the structural errors already found say why
            if not out:
                out.append(
                    Diagnostic(
                        f"the OpenAPI document could not be checked ({type(exc).__name__}: "
                        f"{exc}); fix its structure first",
                        Location(doc.display),
                    )
                )
        except RecursionError:
            out.append(
                Diagnostic(
                    "cyclic $ref: a schema includes itself (possibly across files) and cannot "
                    "be validated; give the cycle a property or array item in between",
                    Location(doc.display),
                )
            )
        return out

    def canonical(self, loaded: LoadedContract) -> bytes:
        return canonical_json(loaded.resolved if loaded.resolved is not None else loaded.data)
