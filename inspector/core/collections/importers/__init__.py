"""Import: read a file, find out what it is, turn it into a collection folder and a report.

    source = read_source(path)                       # the text, parsed when it is JSON or YAML
    imported = parse_source(source)                  # Imported: folders, requests, profiles, references
    report = write_collection(imported, into)        # a new folder, written whole or not at all

Formats: Postman Collection v2.0 / v2.1 and environments, Insomnia v4 (JSON or YAML), OpenAPI 3.0 / 3.1 (JSON
or YAML), curl commands, HAR. YAML is read with PyYAML's safe loader. Nothing here runs the source's scripts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.core.collections.importers.common import (
    FORMAT_TITLES,
    FORMATS,
    Imported,
    ImportError_,
    ImportReport,
    NotImported,
    SecretReference,
)
from inspector.core.collections.importers.write import (
    Progress,
    check_target,
    write_collection,
    write_environment_into,
)

__all__ = [
    "FORMATS",
    "FORMAT_TITLES",
    "ImportError_",
    "ImportReport",
    "Imported",
    "NotImported",
    "SecretReference",
    "Source",
    "check_target",
    "detect_format",
    "import_file",
    "parse_source",
    "read_source",
    "write_collection",
    "write_environment_into",
]

MAX_SOURCE_BYTES = 64 * 1024 * 1024  # the largest real exports are tens of MB
MAX_YAML_ALIASES = 10_000  # a "billion laughs" document expands aliases into a huge tree: refused


@dataclass(frozen=True)
class Source:
    """A file read for import: its text, the parsed document (JSON or YAML), and the format found."""

    path: Path
    text: str
    doc: Any
    format: str

    @property
    def fallback_name(self) -> str:
        return " ".join(self.path.stem.replace("_", " ").split()) or "Imported"


def read_source(path: Path) -> Source:
    """Read and recognise a file; ImportError_ saying what it is not and what is supported."""
    path = Path(path).expanduser()
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise ImportError_(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise ImportError_(
            f"{path} is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB: that is not a collection export."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(f"{path} is not UTF-8 text: export it again as JSON or YAML.") from None
    doc = _parse(text, path)
    return Source(path, text, doc, detect_format(doc, text, path))


def _parse(text: str, path: Path) -> Any:
    from inspector.core.collections.importers.recorded import looks_like_curl

    stripped = text.lstrip()
    if not stripped or looks_like_curl(stripped):
        return None
    if stripped[:1] in "{[":
        try:
            return json.loads(text)
        except RecursionError:
            raise ImportError_(f"{path}: the JSON is nested too deeply to read.") from None
        except ValueError as exc:
            if path.suffix.lower() == ".json":
                raise ImportError_(f"{path} is not valid JSON: {exc}.") from None
    return _yaml(text, path)


def _yaml(text: str, path: Path) -> Any:
    import yaml

    try:
        aliases = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise ImportError_(
                        f"{path}: the YAML repeats its anchors more than {MAX_YAML_ALIASES} times; "
                        "that is not an export."
                    )
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        if path.suffix.lower() in (".yaml", ".yml"):
            problem = getattr(exc, "problem", None) or "it cannot be parsed"
            raise ImportError_(f"{path}{where}: this is not valid YAML ({problem}).") from None
        return None
    except RecursionError:
        raise ImportError_(f"{path}: the YAML is nested too deeply to read.") from None


def detect_format(doc: Any, text: str = "", path: Path | None = None) -> str:
    """One of FORMATS; ImportError_ naming what is supported."""
    from inspector.core.collections.importers import insomnia, openapi, postman
    from inspector.core.collections.importers.recorded import looks_like_curl

    if doc is None and looks_like_curl(text.lstrip()):
        return "curl"
    if isinstance(doc, dict) and isinstance(doc.get("log"), dict) and "entries" in doc["log"]:
        return "har"
    for detector in (postman.detect, insomnia.detect, openapi.detect):
        found = detector(doc)
        if found:
            return found
    if openapi.is_swagger2(doc):
        raise openapi.swagger2_error()
    name = f"{path} " if path is not None else "The file "
    raise ImportError_(
        f"{name}is not a format Request Inspector imports. It reads Postman Collection v2.0/v2.1 and Postman "
        "environments, Insomnia v4 exports, OpenAPI 3.0/3.1 (JSON or YAML), curl commands and HAR files."
    )


def parse_source(source: Source, *, collection_name: str | None = None) -> Imported:
    """The source in our shapes; `collection_name` names the target of a Postman environment file."""
    from inspector.core.collections.importers import insomnia, openapi, postman, recorded

    fmt = source.format
    name = source.fallback_name
    if fmt in ("postman-2.0", "postman-2.1"):
        return postman.import_collection(source.doc, fmt, name)
    if fmt == "postman-environment":
        return postman.import_environment(source.doc, collection_name or name, name)
    if fmt == "insomnia-4":
        return insomnia.import_export(source.doc, name)
    if fmt in ("openapi-3.0", "openapi-3.1"):
        return openapi.import_document(source.doc, fmt, name)
    if fmt == "curl":
        return recorded.import_curl(source.text, name)
    if fmt == "har":
        return recorded.import_har(source.text, name)
    raise ImportError_(f"No importer for the format '{fmt}'.")


def import_file(
    path: Path,
    *,
    into: Path | None = None,
    collections_dir: Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a file: a new collection folder (`into`, or a free folder named after it in collections_dir),
    or for a Postman environment file, an environment of the existing collection `into`."""
    from inspector.core.collections.model import slug
    from inspector.core.collections.store import read_collection_meta

    if into is not None:
        into = Path(into).expanduser()
    source = read_source(path)
    if source.format == "postman-environment":
        if into is None:
            raise ImportError_(
                f"{path} is a Postman environment: import it into a collection with --into COLLECTION_FOLDER."
            )
        meta = read_collection_meta(into)
        return write_environment_into(parse_source(source, collection_name=meta.name), into)
    if into is not None:
        check_target(into)
    imported = parse_source(source)
    if into is None:
        if collections_dir is None:
            raise ImportError_("No folder to import into: pass --into DIR.")
        from inspector.core.collections.store import free_name

        collections_dir.mkdir(parents=True, exist_ok=True)
        into = free_name(collections_dir, slug(imported.name))
    return write_collection(imported, into, progress=progress)
