"""The central store: HTTP API, metadata database, blob storage, and its Python client.

Imports nothing else of AgentDesk and no Qt. Desktop and recorder use only `store.client`.
"""
