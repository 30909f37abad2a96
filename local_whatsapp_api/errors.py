"""Graph API error answers, and the Cloud API error codes the local server gives.

Shapes and codes follow Meta's "WhatsApp error codes" reference
(https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/): a failed call
answers `{"error": {"message": "(#<code>) <title>", "type", "code", "error_data":
{"messaging_product": "whatsapp", "details"}, "error_subcode", "fbtrace_id"}}`; errors found only
while delivering (131047, 131026, 131049, 131050, ...) arrive later in a `statuses` webhook with
status "failed" and `errors: [{"code", "title", "message", "error_data": {"details"}, "href"}]`.
"""

from __future__ import annotations

import itertools
from typing import Any

ERROR_DOCS = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

# code -> title, as Meta's reference (and pywa's error classes) name them
TITLES: dict[int, str] = {
    1: "An unknown error has occurred.",
    2: "Service temporarily unavailable",
    4: "Application request limit reached",
    100: "Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    2500: "Unknown path components",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131008: "Required parameter is missing",
    131009: "Parameter value is not valid",
    131016: "Service unavailable",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131048: "Spam rate limit hit",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131050: "Unable to deliver the message. This recipient has chosen to stop receiving "
    "marketing messages on WhatsApp from your business.",
    131051: "Unsupported message type",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
    132015: "Template is Paused",
    132016: "Template is Disabled",
    132018: "There was an issue with the parameters in your template.",
}

# What a failed status webhook says in error_data.details.
DELIVERY_DETAILS: dict[int, str] = {
    131000: "Message failed to send due to an unknown error.",
    131026: "Message Undeliverable.",
    131047: "Message failed to send because more than 24 hours have passed since the "
    "customer last replied to this number.",
    131048: "Message failed to send because there are restrictions on how many messages can "
    "be sent from this phone number.",
    131049: "In order to maintain a healthy ecosystem engagement, the message failed to be "
    "delivered.",
    131050: "Unable to deliver the message. This recipient has chosen to stop receiving "
    "marketing messages on WhatsApp from your business.",
}

_trace = itertools.count(1)


def fbtrace_id() -> str:
    return f"ALocal{next(_trace):012d}"


class GraphError(Exception):
    """A failed Graph API call. `rejected`: the call itself was invalid (what
    `LocalWhatsAppApi.rejected` collects), as opposed to faults and throughput limits."""

    def __init__(
        self,
        status: int,
        code: int,
        details: str | None = None,
        *,
        subcode: int | None = None,
        error_type: str = "OAuthException",
        message: str | None = None,
        rejected: bool | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.details = details
        self.subcode = subcode
        self.error_type = error_type
        title = TITLES.get(code, "Error")
        self.message = message or (title if code == 190 else f"(#{code}) {title}")
        self.rejected = status in (400, 401, 404) if rejected is None else rejected
        super().__init__(f"{self.message}: {details}" if details else self.message)

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
        }
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


# The subcode Graph gives WhatsApp parameter errors.
_PARAM_SUBCODE = 2494010


def invalid_value(details: str) -> GraphError:
    """131009: a value breaks a rule (too long, too many, wrong kind)."""
    return GraphError(400, 131009, details, subcode=_PARAM_SUBCODE)


def missing(details: str) -> GraphError:
    """131008: a required parameter is missing."""
    return GraphError(400, 131008, details, subcode=_PARAM_SUBCODE)


def invalid_parameter(details: str) -> GraphError:
    """100: an unknown or misspelt parameter, or one of the wrong JSON type."""
    return GraphError(400, 100, details, subcode=_PARAM_SUBCODE)


def bad_token() -> GraphError:
    return GraphError(401, 190, subcode=467)


def unknown_object(object_id: str, http_method: str) -> GraphError:
    return GraphError(
        400,
        100,
        message=f"Unsupported {http_method.lower()} request. Object with ID '{object_id}' does "
        "not exist, cannot be loaded due to missing permissions, or does not support this "
        "operation.",
        subcode=33,
        error_type="GraphMethodException",
    )


def delivery_error(code: int, details: str | None = None) -> dict[str, Any]:
    """One entry of a failed status's `errors`."""
    title = TITLES.get(code, "Error")
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details or DELIVERY_DETAILS.get(code, title)},
        "href": ERROR_DOCS,
    }
