"""X-Ray tracing of the Lambda handlers with Powertools Tracer, off unless the stack turns it on.

template.yaml's ``Tracing`` parameter (``PassThrough`` by default, ``Active`` to trace) sets the
functions' X-Ray mode, grants the X-Ray write actions and sets ``POWERTOOLS_TRACE_DISABLED``.
:func:`traced` wraps a handler in ``Tracer.capture_lambda_handler`` only when tracing is on and
the code runs in Lambda; otherwise it returns the handler itself, so the local runtime and a
stack without tracing never import the X-Ray SDK nor pay for it.

What a trace records: the handler's subsegment and the AWS SDK calls (botocore). Not the OMDb
requests (their URL carries the key), not responses, not error messages (an error message may
quote a URL): the trace shows where the time went and which call failed, the logs say why.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = "cinelake"
TRACE_DISABLED_ENV = "POWERTOOLS_TRACE_DISABLED"
TRACED_MODULES = ("botocore",)  # never httpx: OMDb URLs carry the key

F = TypeVar("F", bound=Callable[..., Any])

_tracer: Tracer | None = None


def tracing_enabled(environ: dict[str, str] | None = None) -> bool:
    """On in Lambda (``LAMBDA_TASK_ROOT`` set) when ``POWERTOOLS_TRACE_DISABLED`` is false."""
    env = os.environ if environ is None else environ
    if not env.get("LAMBDA_TASK_ROOT") or env.get("AWS_SAM_LOCAL"):
        return False
    return env.get(TRACE_DISABLED_ENV, "true").strip().lower() in ("0", "false", "no", "off")


def tracer() -> Tracer:
    """The process's Tracer (created on first use: it imports the X-Ray SDK)."""
    global _tracer
    if _tracer is None:
        from aws_lambda_powertools import Tracer

        _tracer = Tracer(service=SERVICE, patch_modules=TRACED_MODULES)
    return _tracer


def traced(handler: F) -> F:
    """``handler`` inside an X-Ray subsegment when tracing is on; ``handler`` itself otherwise."""
    if not tracing_enabled():
        return handler
    wrapped = tracer().capture_lambda_handler(handler, capture_response=False, capture_error=False)
    return cast("F", wrapped)
