#!/usr/bin/env python3
"""validate-json.py SCHEMA FILE...: every line of each FILE (JSON Lines)
against SCHEMA (docs/json-schema.json).

Only the standard library: a validator of the part of JSON Schema (2020-12)
the schema uses -- $ref to #/$defs, oneOf, type, const, enum, required,
properties, additionalProperties: false, items, minItems, maxItems,
minimum, pattern.  When the jsonschema package is importable, every record
is checked by it too, so the schema is held to the standard as well.

Prints "N records (TYPE: COUNT, ...)" and exits 0, or prints each problem
and exits 1.
"""
import json
import re
import sys


def resolve(schema, root):
    while "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("only local references: %s" % ref)
        node = root
        for part in ref[2:].split("/"):
            node = node[part]
        schema = node
    return schema


def type_ok(value, name):
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    raise ValueError("unknown type %s" % name)


def errors(value, schema, root, where):
    schema = resolve(schema, root)
    out = []
    if "oneOf" in schema:
        matched = [i for i, s in enumerate(schema["oneOf"]) if not errors(value, s, root, where)]
        if len(matched) != 1:
            kind = value.get("type") if isinstance(value, dict) else None
            detail = []
            for s in schema["oneOf"]:
                r = resolve(s, root)
                if r.get("properties", {}).get("type", {}).get("const") == kind:
                    detail = errors(value, r, root, where)
            out.append("%s: matches %d of oneOf, not 1%s" % (where, len(matched), (": " + "; ".join(detail[:5])) if detail else ""))
        return out
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(type_ok(value, n) for n in names):
            return ["%s: %r is not of type %s" % (where, value, "/".join(names))]
    if "const" in schema and value != schema["const"]:
        out.append("%s: %r is not %r" % (where, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        out.append("%s: %r is not one of %r" % (where, value, schema["enum"]))
    if "minimum" in schema and type_ok(value, "number") and value < schema["minimum"]:
        out.append("%s: %r is below %r" % (where, value, schema["minimum"]))
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        out.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                out.append("%s: member %s missing" % (where, name))
        props = schema.get("properties", {})
        for name, v in value.items():
            if name in props:
                out.extend(errors(v, props[name], root, where + "." + name))
            elif schema.get("additionalProperties") is False:
                out.append("%s: member %s is not in the schema" % (where, name))
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append("%s: fewer than %d items" % (where, schema["minItems"]))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append("%s: more than %d items" % (where, schema["maxItems"]))
        if "items" in schema:
            for i, v in enumerate(value):
                out.extend(errors(v, schema["items"], root, "%s[%d]" % (where, i)))
    return out


def main():
    root = json.load(open(sys.argv[1], encoding="utf-8"))
    try:
        import jsonschema  # optional: the standard's own validator

        standard = jsonschema.Draft202012Validator(root)
    except Exception:  # absent, or too old for 2020-12
        standard = None
    problems, counts, n = [], {}, 0
    for name in sys.argv[2:]:
        for lineno, line in enumerate(open(name, encoding="utf-8"), 1):
            n += 1
            where = "%s:%d" % (name, lineno)
            try:
                rec = json.loads(line)
            except ValueError as e:
                problems.append("%s: not JSON: %s" % (where, e))
                continue
            counts[rec.get("type")] = counts.get(rec.get("type"), 0) + 1
            problems.extend(errors(rec, root, root, where))
            if standard is not None:
                problems.extend("%s: jsonschema: %s" % (where, e.message) for e in standard.iter_errors(rec))
    for p in problems[:20]:
        print(p)
    if problems:
        return 1
    print("%d records (%s)" % (n, ", ".join("%s: %d" % (k, v) for k, v in sorted(counts.items(), key=str))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
