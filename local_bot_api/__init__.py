"""A local Telegram Bot API server for end-to-end tests and benchmarks (127.0.0.1 only)."""

from .errors import ApiError
from .faults import Fault, Faults, RateLimits
from .server import Call, LocalBotApi
from .simulation import Group, Person, SeenMessage, SeenPoll
from .spec import BotApiSpec, Upload, default_spec_path
from .state import CallbackQueryRecord
from .webhook import SECRET_HEADER, WebhookAttempt

__all__ = [
    "SECRET_HEADER",
    "ApiError",
    "BotApiSpec",
    "Call",
    "CallbackQueryRecord",
    "Fault",
    "Faults",
    "Group",
    "LocalBotApi",
    "Person",
    "RateLimits",
    "SeenMessage",
    "SeenPoll",
    "Upload",
    "WebhookAttempt",
    "default_spec_path",
]
