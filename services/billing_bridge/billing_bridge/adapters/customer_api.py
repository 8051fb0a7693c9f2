"""The customer's details a webhook does not carry, read from the provider's API with its documented REST calls
(https://docs.stripe.com/api/customers/retrieve, https://developer.paddle.com/api-reference/customers,
https://recurly.com/developers/api/v2021-02-25): a short timeout, nothing cached, stored or logged. The base URL
and key are settings (`BILLING_<PROVIDER>_API_BASE`, `..._API_KEY`), so tests point them at a local server.

Raises Unavailable when the API cannot be reached or fails (timeouts, 5xx, 429: the webhook is answered 503 and
the provider retries); answers None for a customer the provider does not know (404, or deleted).
"""

from typing import Any
from urllib.parse import quote

import httpx

from billing_bridge.domain.customers import B2bRule, CustomerFacts, text


class Unavailable(Exception):
    """A dependency (Kafka, a provider's API) cannot be reached now: 503, the provider retries."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class ProviderApi:
    def __init__(self, client: httpx.AsyncClient, *, provider: str, base: str, headers: dict, auth=None) -> None:
        self._client, self.provider, self._base = client, provider, base.rstrip("/")
        self._headers, self._auth = headers, auth

    async def get(self, path: str, **params: Any) -> dict[str, Any] | None:
        """The JSON at `path` (ids in it already encoded), None for 404; Unavailable for the rest."""
        try:
            response = await self._client.get(
                self._base + path, headers=self._headers, auth=self._auth, params=params or None
            )
        except httpx.HTTPError as error:
            raise Unavailable(f"{self.provider} API: {type(error).__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise Unavailable(f"{self.provider} API answered {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            raise Unavailable(f"{self.provider} API answered something that is not JSON") from None
        return document if isinstance(document, dict) else None


def _id(value: str) -> str:
    return quote(value, safe="")


class StripeCustomers:
    def __init__(self, api: ProviderApi, b2b_rule: B2bRule) -> None:
        self._api, self._rule = api, b2b_rule

    async def facts(self, customer_id: str) -> CustomerFacts | None:
        customer = await self._api.get(f"/v1/customers/{_id(customer_id)}", **{"expand[]": "tax_ids"})
        if customer is None or customer.get("deleted"):
            return None
        address = customer.get("address") if isinstance(customer.get("address"), dict) else {}
        tax_ids = (
            ((customer.get("tax_ids") or {}).get("data") or []) if isinstance(customer.get("tax_ids"), dict) else []
        )
        metadata = customer.get("metadata") if isinstance(customer.get("metadata"), dict) else {}
        locales = customer.get("preferred_locales") or []
        return CustomerFacts(
            email=text(customer.get("email")),
            name=text(customer.get("individual_name")) or text(customer.get("name")),
            company=text(customer.get("business_name")) or text(metadata.get("company")),
            tax_id=text(tax_ids[0].get("value")) if tax_ids and isinstance(tax_ids[0], dict) else None,
            locale=text(locales[0]) if locales else None,
            country=text(address.get("country")),
            timezone=text(metadata.get("timezone")),
            b2b_rule=self._rule,
        )


class PaddleCustomers:
    def __init__(self, api: ProviderApi, b2b_rule: B2bRule) -> None:
        self._api, self._rule = api, b2b_rule

    async def facts(self, customer_id: str, *, business_id: str | None, address_id: str | None) -> CustomerFacts | None:
        base = f"/customers/{_id(customer_id)}"
        customer = ((await self._api.get(base)) or {}).get("data")
        if not isinstance(customer, dict):
            return None
        business = (
            (await self._api.get(f"{base}/businesses/{_id(business_id)}") or {}).get("data") if business_id else {}
        )
        address = (await self._api.get(f"{base}/addresses/{_id(address_id)}") or {}).get("data") if address_id else {}
        business, address = business or {}, address or {}
        return CustomerFacts(
            email=text(customer.get("email")),
            name=text(customer.get("name")),
            company=text(business.get("name")),
            tax_id=text(business.get("tax_identifier")),
            locale=text(customer.get("locale")),
            country=text(address.get("country_code")),
            b2b_rule=self._rule,
        )


class RecurlyApi:
    ACCEPT = "application/vnd.recurly.v2021-02-25+json"

    def __init__(self, api: ProviderApi) -> None:
        self._api = api

    async def subscription(self, subscription_id: str) -> dict[str, Any] | None:
        return await self._api.get(f"/subscriptions/{_id(subscription_id)}")

    async def account(self, account_id: str) -> dict[str, Any] | None:
        return await self._api.get(f"/accounts/{_id(account_id)}")


def stripe_api(client: httpx.AsyncClient, base: str, key: str) -> ProviderApi:
    return ProviderApi(client, provider="stripe", base=base, headers={"Authorization": f"Bearer {key}"})


def paddle_api(client: httpx.AsyncClient, base: str, key: str) -> ProviderApi:
    return ProviderApi(client, provider="paddle", base=base, headers={"Authorization": f"Bearer {key}"})


def recurly_api(client: httpx.AsyncClient, base: str, key: str) -> ProviderApi:
    return ProviderApi(
        client, provider="recurly", base=base, headers={"Accept": RecurlyApi.ACCEPT}, auth=httpx.BasicAuth(key, "")
    )


def chargebee_api(client: httpx.AsyncClient, base: str, key: str) -> ProviderApi:
    """Only the backfill reads Chargebee's API (its webhooks carry the customer)."""
    return ProviderApi(client, provider="chargebee", base=base, headers={}, auth=httpx.BasicAuth(key, ""))
