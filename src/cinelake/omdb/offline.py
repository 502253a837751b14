"""Offline mode's OMDb: the bundled sample answered in-process, as OMDb answers a lookup.

A small transport for the product (no test tooling): the same client as the real API talks
to it, so offline runs exercise the same code. A lookup of a movie the sample has gets its
answer; any other id gets OMDb's not-found answer; a request without a key is refused as
OMDb refuses it. The host is never contacted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

OFFLINE_KEY = "offline-sample"
# The base URL of offline runs: never resolvable (RFC 6761 .invalid), so the bundled sample can
# never be mistaken for a real OMDb's answers — in the cache (keyed by base URL) or in bronze's
# fetch.omdb_url. The transport ignores the host.
OFFLINE_URL = "http://bundled-sample.cinelake.invalid/"
NOT_FOUND = "Incorrect IMDb ID."
_JSON = "application/json; charset=utf-8"


def _answer(status: int, payload: Mapping[str, Any]) -> httpx.Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return httpx.Response(status, headers={"Content-Type": _JSON}, content=body)


def offline_transport(answers: Mapping[str, dict[str, Any]] | None = None) -> httpx.MockTransport:
    """The sample's answers (``answers``: the bundled ones by default) as an httpx transport."""
    if answers is None:
        from cinelake.sample import load_omdb_answers

        answers = load_omdb_answers()
    catalog = dict(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if not params.get("apikey"):
            return _answer(401, {"Response": "False", "Error": "No API key provided."})
        answer = catalog.get(params.get("i") or "")
        if answer is None:
            return _answer(200, {"Response": "False", "Error": NOT_FOUND})
        return _answer(200, answer)

    return httpx.MockTransport(handle)
