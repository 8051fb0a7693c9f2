"""Database access shared by the services: one metadata, the async engine and session factory, migrations."""
