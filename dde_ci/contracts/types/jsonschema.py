"""JSON Schema contracts (event payloads), draft 2020-12, checked with jsonschema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dde_ci.contracts.types import LoadedContract, canonical_json
from dde_ci.contracts.types._refcheck import check_refs, has_file_refs
from dde_ci.contracts.types.openapi import json_pointer
from dde_ci.errors import Diagnostic, InputError

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


class JsonSchemaType:
    name = "jsonschema"

    def load(self, path: Path, root: Path) -> LoadedContract:
        from dde_ci.contracts.refs import read_document

        doc = read_document(path, root)
        if not isinstance(doc.data, (dict, bool)):
            raise InputError("a JSON Schema must be an object or a boolean", doc.locate(()))
        return LoadedContract(
            self.name, path, doc.display, doc.text, doc.data, doc, None, not has_file_refs(doc.data)
        )

    def validate(self, loaded: LoadedContract, root: Path) -> list[Diagnostic]:
        import jsonschema

        problems = self.prepare(loaded, root)
        if problems:
            return problems
        meta = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)
        out = []
        for error in sorted(meta.iter_errors(loaded.data), key=lambda e: list(map(str, e.path))):
            path = tuple(error.absolute_path)
            out.append(
                Diagnostic(
                    f"not a valid draft 2020-12 schema at {json_pointer(path) or '/'}: "
                    f"{error.message}",
                    loaded.document.locate(path) if loaded.document else None,
                )
            )
        return out

    def prepare(self, loaded: LoadedContract, root: Path) -> list[Diagnostic]:
        doc = loaded.document
        assert doc is not None
        data: Any = loaded.data
        if isinstance(data, dict) and "$schema" in data:
            declared = str(data["$schema"]).rstrip("#")
            if declared != DRAFT_2020_12:
                return [
                    Diagnostic(
                        f"$schema is {data['$schema']!r}; dde-ci checks draft 2020-12 schemas "
                        f"({DRAFT_2020_12})",
                        doc.locate(("$schema",)),
                    )
                ]
        resolved, problems = check_refs(doc, root)
        if problems:
            return problems
        loaded.resolved = resolved
        return []

    def canonical(self, loaded: LoadedContract) -> bytes:
        return canonical_json(loaded.resolved if loaded.resolved is not None else loaded.data)
