"""Schemathesis hooks for `make contract`: the payment webhook's and the operators' credentials.

The webhook is authenticated by a Stripe signature over the raw body (`Stripe-Signature:
t=<unix>,v1=<HMAC-SHA256>`), which no schema can generate, as no schema generates a valid JWT.
So, as the gateway would, every request whose header was generated as valid is signed with the
local stack's test secret; a request generated without the header, or with an invalid one, is
sent as generated and must be refused.

The admin routes are for the `admin` group: where a request carries the run's customer token
(`-H 'Authorization: Bearer dev:fuzz'` in tools/contract.sh), an operator's dev token takes its
place. A request without it, or with another one, goes as it is and must be refused.
"""

import hashlib
import hmac
import json
import time

import requests
import schemathesis
from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation

# The local stack's test secret (storesync_devstack::DEV_STRIPE_SECRET), never used elsewhere.
SECRET = b"whsec_storesync_local_test_secret"
WEBHOOK = "/v1/webhooks/{gateway}"
HEADER = "stripe-signature"
ADMIN = "/v1/admin/"
CUSTOMER_TOKEN = "Bearer dev:fuzz"
OPERATOR_TOKEN = "Bearer dev:ops-1:admin"


class _Operator(requests.auth.AuthBase):
    """Swaps the run's customer token for an operator's, on the request as it is sent: the
    run's `-H` headers are merged after any hook runs, so only `requests` auth comes later."""

    def __call__(self, request):
        if request.headers.get("Authorization") == CUSTOMER_TOKEN:
            request.headers["Authorization"] = OPERATOR_TOKEN
        return request


def _payload(body) -> bytes:
    """The bytes the transport sends for `body` (requests serialises JSON with `json.dumps`)."""
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, bytes):
        return body
    if body is None:
        return b"null"
    return json.dumps(body, allow_nan=False).encode("utf-8")


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path.startswith(ADMIN):
        # Probes for unenforced auth copy the case without this, so they still go unauthenticated.
        case._auth = _Operator()
        return
    if case.operation.path != WEBHOOK or not case.headers:
        return
    name = next((key for key in case.headers if key.lower() == HEADER), None)
    if name is None:
        return
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return
    timestamp = str(int(time.time()))
    signed = timestamp.encode() + b"." + _payload(case.body)
    signature = hmac.new(SECRET, signed, hashlib.sha256).hexdigest()
    case.headers[name] = f"t={timestamp},v1={signature}"
