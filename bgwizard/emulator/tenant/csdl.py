"""A reader for Graph's CSDL ($metadata): type properties, subset extraction, pruning.

Used by the fixture importer (keep only v1.0 properties) and by the tests that check every
property the emulator returns exists in Graph's schema.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
_EDMX = "{http://docs.oasis-open.org/odata/ns/edmx}"
_NAMESPACE = "microsoft.graph"


@dataclass
class TypeDef:
    """One EntityType or ComplexType."""

    name: str
    kind: str
    base: str | None
    properties: dict[str, str] = field(default_factory=dict)
    navigation: dict[str, str] = field(default_factory=dict)
    element: ET.Element | None = None


@dataclass
class Schema:
    """The ``microsoft.graph`` namespace's structured types and enums."""

    types: dict[str, TypeDef]
    enums: dict[str, ET.Element]

    def all_properties(self, name: str) -> dict[str, str]:
        """Structural and navigation properties of ``name`` including its base types."""
        out: dict[str, str] = {}
        current: str | None = name
        while current:
            typedef = self.types[current]
            out = {**typedef.properties, **typedef.navigation, **out}
            current = typedef.base
        return out

    def is_a(self, name: str, ancestor: str) -> bool:
        """Whether ``name`` is ``ancestor`` or derives from it."""
        current: str | None = name
        while current:
            if current == ancestor:
                return True
            current = self.types[current].base if current in self.types else None
        return False


def _short(type_ref: str) -> tuple[str, bool]:
    """``Collection(graph.x)`` → (``x``, True); ``Edm.String`` → (``Edm.String``, False)."""
    collection = type_ref.startswith("Collection(")
    inner = type_ref[len("Collection(") : -1] if collection else type_ref
    for prefix in ("graph.", f"{_NAMESPACE}."):
        if inner.startswith(prefix):
            inner = inner[len(prefix) :]
    return inner, collection


def load_schema(path: Path) -> Schema:
    """Parse the ``microsoft.graph`` schema of a CSDL file."""
    root = ET.parse(path).getroot()
    types: dict[str, TypeDef] = {}
    enums: dict[str, ET.Element] = {}
    for schema in root.iter(f"{_EDM}Schema"):
        if schema.get("Namespace") != _NAMESPACE:
            continue
        for element in schema:
            name = element.get("Name", "")
            if element.tag == f"{_EDM}EnumType":
                enums[name] = element
            elif element.tag in (f"{_EDM}EntityType", f"{_EDM}ComplexType"):
                base = element.get("BaseType")
                typedef = TypeDef(
                    name,
                    element.tag.removeprefix(_EDM),
                    _short(base)[0] if base else None,
                    element=element,
                )
                for prop in element:
                    target = typedef.properties if prop.tag == f"{_EDM}Property" else None
                    if prop.tag == f"{_EDM}NavigationProperty":
                        target = typedef.navigation
                    if target is not None:
                        target[prop.get("Name", "")] = prop.get("Type", "")
                types[name] = typedef
    return Schema(types, enums)


def _closure(schema: Schema, roots: list[str]) -> tuple[list[str], list[str]]:
    needed: list[str] = []
    enums: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in needed or name not in schema.types:
            if name in schema.enums and name not in enums:
                enums.append(name)
            continue
        needed.append(name)
        typedef = schema.types[name]
        if typedef.base:
            todo.append(typedef.base)
        refs = list(typedef.properties.values())
        if typedef.kind == "ComplexType":
            refs += list(typedef.navigation.values())
        todo.extend(_short(r)[0] for r in refs)
    return needed, enums


def extract_subset(source: Path, roots: list[str]) -> str:
    """An EDMX document with ``roots`` and every type their properties need."""
    schema = load_schema(source)
    types, enums = _closure(schema, roots)
    edmx = ET.Element(f"{_EDMX}Edmx", {"Version": "4.0"})
    services = ET.SubElement(edmx, f"{_EDMX}DataServices")
    out = ET.SubElement(services, f"{_EDM}Schema", {"Namespace": _NAMESPACE, "Alias": "graph"})
    for name in sorted(enums):
        out.append(schema.enums[name])
    for name in sorted(types):
        element = schema.types[name].element
        if element is not None:
            out.append(element)
    ET.register_namespace("edmx", _EDMX[1:-1])
    ET.register_namespace("", _EDM[1:-1])
    ET.indent(edmx)
    return ET.tostring(edmx, encoding="unicode", xml_declaration=True) + "\n"


def _odata_type(value: dict[str, Any], declared: str, schema: Schema) -> str:
    annotated = str(value.get("@odata.type", "")).removeprefix("#")
    name = annotated.removeprefix(f"{_NAMESPACE}.")
    return name if name in schema.types and schema.is_a(name, declared) else declared


def unknown_properties(schema: Schema, type_name: str, value: Any, path: str = "") -> list[str]:
    """Paths of properties in ``value`` that type ``type_name`` does not declare (recursive)."""
    if isinstance(value, list):
        return [
            p
            for i, v in enumerate(value)
            for p in unknown_properties(schema, type_name, v, f"{path}[{i}]")
        ]
    if not isinstance(value, dict) or type_name not in schema.types:
        return []
    actual = _odata_type(value, type_name, schema)
    props = schema.all_properties(actual)
    bad: list[str] = []
    for key, item in value.items():
        if key.startswith("@") or "@odata." in key:
            continue
        where = f"{path}.{key}" if path else key
        if key not in props:
            bad.append(f"{where} (not on {actual})")
            continue
        bad.extend(unknown_properties(schema, _short(props[key])[0], item, where))
    return bad


def prune(schema: Schema, type_name: str, value: Any) -> Any:
    """``value`` with only the properties ``type_name`` declares (annotations dropped)."""
    if isinstance(value, list):
        return [prune(schema, type_name, v) for v in value]
    if not isinstance(value, dict) or type_name not in schema.types:
        return value
    props = schema.all_properties(_odata_type(value, type_name, schema))
    return {
        key: prune(schema, _short(props[key])[0], item)
        for key, item in value.items()
        if key in props
    }
