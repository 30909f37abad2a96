"""A local WhatsApp Cloud API server for end-to-end tests (127.0.0.1 only)."""

from .errors import GraphError, delivery_error
from .faults import Fault, Faults, Throughput
from .limits import Outgoing, ReadReceipt, check_payload
from .server import Call, LocalWhatsAppApi
from .simulation import WINDOW_SECONDS, Button, MessageRecord, Person, Row, SeenMessage
from .templates import (
    ButtonType,
    Template,
    TemplateButton,
    TemplateCategory,
    TemplateRegistry,
    TemplateStatus,
)
from .webhook import SIGNATURE_HEADER, Delivery, Verification, WebhookAttempt, sign

__all__ = [
    "SIGNATURE_HEADER",
    "WINDOW_SECONDS",
    "Button",
    "ButtonType",
    "Call",
    "Delivery",
    "Fault",
    "Faults",
    "GraphError",
    "LocalWhatsAppApi",
    "MessageRecord",
    "Outgoing",
    "Person",
    "ReadReceipt",
    "Row",
    "SeenMessage",
    "Template",
    "TemplateButton",
    "TemplateCategory",
    "TemplateRegistry",
    "TemplateStatus",
    "Throughput",
    "Verification",
    "WebhookAttempt",
    "check_payload",
    "delivery_error",
    "sign",
]
