"""The OpenAPI document keeps one schema per name (components/schemas/<Name>): two apps whose
schemas or enums share a class name ("Status", "MarkIn", "StepIn") would publish only one of them,
and every operation referring to the other would document — and let clients and the fuzzer send —
the wrong body. So each name must mean one thing across the whole API."""

import json

from anmin.api import api


def definitions() -> dict[str, dict[str, set[str]]]:
    """Every named definition any operation's input or output uses: name → its JSON → operations."""
    found: dict[str, dict[str, set[str]]] = {}
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                where = f"{'/'.join(operation.methods)} {path}"
                models = list(operation.signature.models)
                models += [m for m in (operation.response_models or {}).values() if hasattr(m, "model_json_schema")]
                for model in models:
                    for name, definition in (model.model_json_schema().get("$defs") or {}).items():
                        text = json.dumps(definition, sort_keys=True, ensure_ascii=False)
                        found.setdefault(name, {}).setdefault(text, set()).add(where)
    return found


def test_each_schema_name_means_one_thing_across_the_api():
    clashes = {
        name: sorted(next(iter(ops)) for ops in variants.values())
        for name, variants in definitions().items()
        if len(variants) > 1
    }
    assert clashes == {}, "rename the schema, or use a Literal for the choices: " + repr(clashes)


def test_it_sees_the_named_schemas():
    # The check above is worth something only if it walks the operations' models.
    names = definitions()
    assert "LeadMarkIn" in names and "StepIn" in names
    assert len(names) > 50
