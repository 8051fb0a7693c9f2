"""The support console: server-rendered pages under /console for support staff (see docs/console.md)."""
