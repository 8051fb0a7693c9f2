"""A local stand-in for the providers' APIs that the bridge reads customers (and the backfill subscriptions) from,
answering with the JSON each documents, under a prefix per provider: `/stripe/v1/customers/{id}`,
`/paddle/customers/{id}` (and its businesses and addresses), `/recurly/subscriptions/{id}`,
`/recurly/accounts/{id}`, and the lists the backfill reads. Outside services cannot be reached from here; this is
what the tests, `make run` and `make publish-sample ARGS="--via stripe"` point `BILLING_<PROVIDER>_API_BASE` at.

What it holds is put in with `PUT /_standin/<provider>/<collection>/<id>` (JSON body); `POST /_standin/fail`
(`{"times": n}`) makes the next n answers 500, as an API that is down. Nothing is kept on disk.

    python -m billing_bridge standin --port 8090
"""

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

NOT_FOUND = {
    "stripe": {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such customer"}},
    "paddle": {"error": {"type": "request_error", "code": "entity_not_found", "detail": "Entity not found"}},
    "recurly": {"error": {"type": "not_found", "message": "Couldn't find it"}},
    "chargebee": {"api_error_code": "resource_not_found", "http_status_code": 404, "message": "Not found"},
}


class Store:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], Any] = {}
        self.failures = 0
        self.requests: list[str] = []

    def put(self, provider: str, collection: str, item_id: str, document: Any) -> None:
        self.items[(provider, collection, item_id)] = document

    def listing(self, provider: str, collection: str) -> list[Any]:
        return [doc for (p, c, _), doc in sorted(self.items.items()) if (p, c) == (provider, collection)]


def create_app(store: Store | None = None) -> Starlette:
    store = store or Store()

    async def put(request: Request) -> JSONResponse:
        p = request.path_params
        store.put(p["provider"], p["collection"], p["item_id"], await request.json())
        return JSONResponse({"stored": True})

    async def fail(request: Request) -> JSONResponse:
        store.failures = int((await request.json()).get("times", 1))
        return JSONResponse({"failing": store.failures})

    def answer(provider: str, found: Any) -> JSONResponse:
        if store.failures > 0:
            store.failures -= 1
            return JSONResponse({"error": {"message": "the stand-in is down, as asked"}}, status_code=500)
        if found is None:
            return JSONResponse(NOT_FOUND[provider], status_code=404)
        return JSONResponse(found)

    async def stripe_customer(request: Request) -> JSONResponse:
        store.requests.append(f"stripe customer {request.path_params['item_id']}")
        return answer("stripe", store.items.get(("stripe", "customers", request.path_params["item_id"])))

    async def stripe_subscriptions(request: Request) -> JSONResponse:
        status = request.query_params.get("status")
        data = [s for s in store.listing("stripe", "subscriptions") if status in (None, "all", s.get("status"))]
        return answer("stripe", {"object": "list", "data": data, "has_more": False, "url": "/v1/subscriptions"})

    async def paddle_item(request: Request) -> JSONResponse:
        p = request.path_params
        collection, item_id = p.get("collection", "customers"), p.get("item_id") or p["customer_id"]
        found = store.items.get(("paddle", collection, item_id))
        return answer("paddle", {"data": found, "meta": {"request_id": "standin"}} if found is not None else None)

    async def paddle_subscriptions(request: Request) -> JSONResponse:
        statuses = set(request.query_params.get("status", "").split(",")) - {""}
        data = [s for s in store.listing("paddle", "subscriptions") if not statuses or s.get("status") in statuses]
        meta = {"request_id": "standin", "pagination": {"per_page": 200, "next": None, "has_more": False}}
        return answer("paddle", {"data": data, "meta": meta})

    async def recurly_item(request: Request) -> JSONResponse:
        p = request.path_params
        return answer("recurly", store.items.get(("recurly", p["collection"], p["item_id"])))

    async def recurly_subscriptions(request: Request) -> JSONResponse:
        states = set(request.query_params.get("state", "").split(",")) - {""}
        data = [s for s in store.listing("recurly", "subscriptions") if not states or s.get("state") in states]
        return answer("recurly", {"object": "list", "has_more": False, "next": None, "data": data})

    async def chargebee_subscriptions(request: Request) -> JSONResponse:
        wanted = request.query_params.get("status[is]")
        rows = store.listing("chargebee", "subscriptions")
        listed = [r for r in rows if wanted is None or r["subscription"].get("status") == wanted]
        return answer("chargebee", {"list": listed})

    app = Starlette(
        routes=[
            Route("/_standin/{provider}/{collection}/{item_id}", put, methods=["PUT"]),
            Route("/_standin/fail", fail, methods=["POST"]),
            Route("/stripe/v1/customers/{item_id}", stripe_customer),
            Route("/stripe/v1/subscriptions", stripe_subscriptions),
            Route("/paddle/customers/{customer_id}", paddle_item),
            Route("/paddle/customers/{customer_id}/{collection}/{item_id}", paddle_item),
            Route("/paddle/subscriptions", paddle_subscriptions),
            Route("/recurly/subscriptions", recurly_subscriptions),
            Route("/recurly/{collection}/{item_id}", recurly_item),
            Route("/chargebee/subscriptions", chargebee_subscriptions),
        ]
    )
    app.state.store = store
    return app


def main(argv: list[str]) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m billing_bridge standin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


@contextlib.asynccontextmanager
async def serving(port: int) -> AsyncIterator[tuple[str, Store]]:
    """The stand-in on 127.0.0.1:`port` in this event loop, for a test: (its URL, what it holds)."""
    import uvicorn

    store = Store()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        server.should_exit = True
        await task
