"""Logging and metrics with Powertools, the same fields locally and in Lambda, and secret masking."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading

from aws_lambda_powertools import Logger, Metrics

SERVICE = "cinelake"
NAMESPACE = "Cinelake"
NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None


def register_secret(value: str) -> None:
    """Mask this value wherever it would be logged from now on."""
    global _pattern
    if not value or len(value) < 4:
        return
    with _secrets_lock:
        _secrets.add(value)
        _pattern = re.compile(
            "|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True))
        )


_APIKEY_PARAM = re.compile(r"(apikey=)[^&\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    """Mask registered secrets and any apikey= query parameter."""
    text = _APIKEY_PARAM.sub(r"\1***", text)
    pattern = _pattern
    return pattern.sub("***", text) if pattern else text


class RedactingFilter(logging.Filter):
    """Applied to every record, including third-party loggers such as httpx."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if record.args:
            record.args = (
                tuple(redact(str(a)) for a in record.args)
                if isinstance(record.args, tuple)
                else record.args
            )
        for k, v in list(record.__dict__.items()):
            if isinstance(v, str) and k not in ("msg", "name", "levelname", "pathname", "filename"):
                record.__dict__[k] = redact(v)
        return True


_logger: Logger | None = None


def get_logger() -> Logger:
    """The process's structured logger (JSON lines, run_id / imdb_id as keys)."""
    global _logger
    if _logger is None:
        _logger = Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL", "INFO"))
        for handler in _logger.handlers if hasattr(_logger, "handlers") else []:
            handler.addFilter(RedactingFilter())
        _logger.addFilter(RedactingFilter())
        # httpx logs every request URL at INFO, and OMDb URLs carry the key: keep it quiet.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)
    return _logger


def quiet_for_cli() -> None:
    """On a terminal the rich output is the interface and the summary reports every failure.

    The JSON log lines go to stderr, errors only unless LOG_LEVEL asks for more, so stdout
    stays the summary (and `query --format json` output stays parseable).
    """
    logger = get_logger()
    logger.setLevel(os.environ.get("LOG_LEVEL", "ERROR"))
    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler) and not isinstance(handler.stream, _Stderr):
        handler.setStream(_Stderr())


class _Stderr:
    """Whatever sys.stderr is at write time (test runners swap it per invocation)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_metrics: Metrics | None = None


def get_metrics() -> Metrics:
    """The process's metrics (EMF). The namespace is the stack's (POWERTOOLS_METRICS_NAMESPACE,
    which template.yaml sets per prefix) so two stacks' alarms never read each other's data."""
    global _metrics
    if _metrics is None:
        namespace = os.environ.get(NAMESPACE_ENV) or NAMESPACE
        _metrics = Metrics(namespace=namespace, service=SERVICE)
    return _metrics
