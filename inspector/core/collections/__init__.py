"""Collections: folders of saved requests a team keeps in git, their environments, import and export.

model: the values (Collection, Folder, SavedRequest, Environment); store: loading, saving, watching,
discovery; resolve: from a saved request to the RequestSpec that is sent (variables, profile choice);
secrecy: the literal secrets a save refuses; importers: Postman, Insomnia, OpenAPI, curl, HAR; export:
Postman v2.1. Nothing here imports Qt.
"""

# Names are loaded on first use (PEP 562): a window that only lists collections needs the store, not the
# importers and PyYAML behind them.
from inspector.core.lazy import lazy_exports

_WHERE = {
    "BodyField": "model",
    "Collection": "model",
    "CollectionConflict": "model",
    "CollectionError": "model",
    "CollectionFileError": "model",
    "CollectionRef": "store",
    "CollectionStorageError": "model",
    "Environment": "model",
    "Folder": "model",
    "LoadResult": "store",
    "Param": "model",
    "Problem": "store",
    "ProfileChoice": "resolve",
    "ResolvedRequest": "resolve",
    "SavedBody": "model",
    "SavedRequest": "model",
    "Source": "store",
    "all_requests": "resolve",
    "choose_profile": "resolve",
    "collection_sources": "store",
    "create_collection": "store",
    "create_folder": "store",
    "default_collections_dir": "defaults",
    "delete_folder": "store",
    "delete_request": "store",
    "discover": "store",
    "duplicate_request": "store",
    "find_collection_root": "store",
    "load_collection": "store",
    "move_request": "store",
    "new_request": "store",
    "rename_request": "store",
    "request_literal_secrets": "secrecy",
    "request_path": "resolve",
    "resolve_profile": "resolve",
    "resolve_request": "resolve",
    "save_collection": "store",
    "save_environment": "store",
    "save_folder": "store",
    "save_request": "store",
    "scope_for": "resolve",
    "select_requests": "resolve",
    "snapshot": "store",
    "to_postman": "export",
    "walk": "model",
}

__all__ = list(_WHERE)

__getattr__ = lazy_exports(__name__, _WHERE)
