"""The HTTP API's routers, one per resource; `store.app` mounts them under /api/v1."""
