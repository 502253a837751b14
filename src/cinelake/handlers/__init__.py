"""Lambda entry points. Each parses its event, calls a stage function, returns what AWS expects."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event


def s3_keys(event: dict[str, Any]) -> list[str]:
    """Object keys of an S3 notification; S3 URL-encodes them (`=` arrives as %3D)."""
    return [unquote_plus(r.s3.get_object.key) for r in S3Event(event).records]
