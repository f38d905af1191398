"""Finishing touches on the generated OpenAPI document: errors as problem+json, extra schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

PROBLEM_REF = "#/components/schemas/Problem"


def finalize(spec: dict[str, Any], models: list[type[BaseModel]]) -> dict[str, Any]:
    """Declare every 4xx/5xx as `application/problem+json` and add schemas referenced by hand."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    schemas.pop("ValidationErrorModel", None)
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}
    return spec
