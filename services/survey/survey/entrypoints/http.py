"""The survey's HTTP app."""

from fastapi import FastAPI

from shared.http import install_error_handlers, ops_router
from shared.runtime import Runtime


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="Off-boarding survey", version="0.1.0")
    install_error_handlers(app)
    app.include_router(ops_router(runtime.readiness))
    return app
