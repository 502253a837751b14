"""Sharing on the emulated stack: the gold function publishes dashboard/index.html and
feed/movers.xml and posts the day's digest (webhook URL from Secrets Manager) under its own
role's permissions, IAM enforced; `cinelake dashboard --backend aws --stack NAME --link` prints
a presigned URL that serves the page."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cinelake.aws.cfn import Stack
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig

from .emulator import ACCOUNT, REGION, EmulatedStack, moto_fidelity
from .test_cli_stack import cli
from .test_template import names

pytestmark = pytest.mark.slow

KEY = "omdb-share-key-9031"
SOURCE_BUCKET = "cinelake-share-sources"
SOURCE_KEY = "lists/top.json"
STACK = "cinelake-share"
NOTIFY_SECRET = "cinelake-share/webhook"
ATOM = "{http://www.w3.org/2005/Atom}"


@contextlib.contextmanager
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    posts: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook/secret-token", posts
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def put_list(stack: EmulatedStack, first: int, count: int) -> None:
    """The source list: synthetic movies first..first+count-1 (a day of a moving chart)."""
    items = synthetic.source_list(first + count - 1)["items"][first - 1 :]
    items = [item | {"rank": str(rank)} for rank, item in enumerate(items, 1)]
    stack.admin("s3").put_object(
        Bucket=SOURCE_BUCKET,
        Key=SOURCE_KEY,
        Body=json.dumps({"items": items, "errorMessage": ""}).encode(),
    )


def run_day(stack: EmulatedStack, when: str) -> None:
    stack.invoke("GetMoviesAndSendToQueue", {"time": when})
    stack.poll_sqs("EnrichAndStoreMovie")
    stack.pump_s3_events()


def test_the_gold_function_publishes_and_notifies_and_the_cli_links(
    moto_endpoint: str, template: dict[str, Any]
) -> None:
    ids = [synthetic.imdb_id(i) for i in range(1, 6)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    with sim.serve() as omdb_url, moto_fidelity(), webhook() as (hook_url, posts):
        stack = EmulatedStack(
            moto_endpoint,
            template,
            {
                "Prefix": "cinelake-share",
                "TopN": 3,
                "SourceUrl": f"s3://{SOURCE_BUCKET}/{SOURCE_KEY}",
                "OmdbUrl": omdb_url,
                "OmdbRateLimit": 50,
                "NotifySecretName": NOTIFY_SECRET,
            },
            test_env={"CINELAKE_BACKOFF_BASE_S": "0", "CINELAKE_BACKOFF_MAX_S": "0"},
        )
        stack.admin("s3").create_bucket(Bucket=SOURCE_BUCKET)
        put_list(stack, 1, 3)
        stack.deploy(secret_value={"api_key": KEY})
        # What the README has the user do: the webhook URL is a secret, never a parameter.
        arn = stack.admin("secretsmanager").create_secret(
            Name=NOTIFY_SECRET, SecretString=hook_url
        )["ARN"]
        stack.recorder.secret_arns |= {NOTIFY_SECRET: arn, arn: arn}
        stack.register_outputs(STACK)
        stack.create_event_source_mapping("EnrichAndStoreMovie")

        with stack.recorder.installed(), stack.enforce_iam():
            run_day(stack, "2026-11-29T03:00:00Z")
            assert posts == []  # the first snapshot: nothing moved yet
            put_list(stack, 2, 3)  # movie 1 leaves, movie 4 enters
            run_day(stack, "2026-11-30T03:00:00Z")
            gold_calls = stack.recorder.by("ProcessSilverToGold")
            # A second build of the same day (S3 delivers at least once) posts nothing.
            silver_key = next(
                k
                for k in stack.keys("SilverBucket", "movies/")
                if "2026-11-30" in k and k.endswith(".parquet")
            )
            again = stack.invoke(
                "ProcessSilverToGold",
                {
                    "Records": [
                        {
                            "eventSource": "aws:s3",
                            "eventName": "ObjectCreated:Put",
                            "s3": {
                                "bucket": {"name": stack.bucket_name("SilverBucket")},
                                "object": {"key": silver_key, "size": 1},
                            },
                        }
                    ]
                },
            )
        assert stack.failed_invocations == []
        assert again["built"] is True and again["notify"] is None

        # -- what the gold function wrote, with its own role's credentials ------------------------
        gold_keys = stack.keys("GoldBucket")
        assert {"dashboard/index.html", "feed/movers.xml"} <= set(gold_keys)
        puts = {
            c.resource.rsplit("/", 2)[-2] + "/" + c.resource.rsplit("/", 1)[-1]
            for c in gold_calls
            if c.action == "s3:PutObject"
        }
        assert {"dashboard/index.html", "feed/movers.xml"} <= puts
        role_keys = {c.access_key for c in gold_calls}
        assert role_keys and stack.admin_credentials["aws_access_key_id"] not in role_keys
        assert any(c.action == "secretsmanager:GetSecretValue" for c in gold_calls)
        page = stack.get("GoldBucket", "dashboard/index.html")
        assert page.startswith(b"<!") and b"Content-Security-Policy" in page
        feed = ET.fromstring(stack.get("GoldBucket", "feed/movers.xml"))
        (entry,) = feed.findall(f"{ATOM}entry")
        content = entry.findtext(f"{ATOM}content", "")
        for movie in (synthetic.imdb_id(1), synthetic.imdb_id(4)):
            assert f"https://www.imdb.com/title/{movie}/" in content

        # -- the digest: once, for the second day ---------------------------------------------------
        (post,) = posts
        assert post["date"] == "2026-11-30" and post["previous_date"] == "2026-11-29"
        assert [m["imdb_id"] for m in post["new"]] == [synthetic.imdb_id(4)]
        assert [m["imdb_id"] for m in post["exited"]] == [synthetic.imdb_id(1)]
        assert post["text"].startswith("cinelake 2026-11-30: 1 new, 1 out")
        logs = stack.logs.getvalue()
        assert "secret-token" not in logs

        # -- status reports it; the link command presigns the page -------------------------------
        aws = ("--backend", "aws", "--stack", STACK)
        status = cli(stack, "status", *aws, "--json")
        assert status.exit_code == 0, status.output
        assert json.loads(status.output)["notify"]["status"] == "sent"
        linked = cli(stack, "dashboard", *aws, "--link")
        assert linked.exit_code == 0, linked.output
        url = linked.stdout.strip().splitlines()[-1]
        assert url.startswith(stack.endpoint) and "dashboard/index.html" in url
        assert "Signature=" in url and "Expires=" in url
        fetched = requests.get(url, timeout=10)
        assert fetched.status_code == 200 and fetched.content == page
        refused = cli(stack, "dashboard", *aws)
        assert refused.exit_code != 0 and "--link" in refused.output


def test_the_public_dashboard_is_opt_in_and_opens_dashboard_only(
    template: dict[str, Any],
) -> None:
    def gold(public: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        stack = names(
            Stack(
                template,
                {"Prefix": "p", "PublicDashboard": public},
                account_id=ACCOUNT,
                region=REGION,
            )
        )
        bucket = stack.properties("GoldBucket")
        (policy,) = [
            stack.properties(lid)["PolicyDocument"]
            for lid in stack.of_type("AWS::S3::BucketPolicy")
            if stack.properties(lid)["Bucket"] == bucket["BucketName"]
        ]
        return bucket["PublicAccessBlockConfiguration"], policy["Statement"]

    block, statements = gold("false")
    assert set(block.values()) == {True}
    assert [s for s in statements if s["Effect"] == "Allow"] == []
    block, statements = gold("true")
    assert block["BlockPublicPolicy"] is False and block["RestrictPublicBuckets"] is False
    assert block["BlockPublicAcls"] is True and block["IgnorePublicAcls"] is True
    (public,) = [s for s in statements if s["Effect"] == "Allow"]
    assert public["Principal"] == "*" and public["Action"] == "s3:GetObject"
    assert public["Resource"] == "arn:aws:s3:::p-gold-123456789012-us-east-1/dashboard/*"
    assert any(s["Effect"] == "Deny" for s in statements)  # still TLS-only
