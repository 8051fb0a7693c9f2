"""Adapters: tables, repositories and clients."""
