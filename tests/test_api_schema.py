"""The HTTP API against its own OpenAPI schema, with generated requests (schemathesis, bounded): no 5xx,
every status code and response body as documented, bad input refused."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from assistant_helpers import NOW, ScriptedParser
from hypothesis import HealthCheck, settings

from kiloglot.server import ServerConfig, create_app

KEY = {"X-API-Key": "schema-key"}
# per operation: bounded for the suite; KILOGLOT_SCHEMA_EXAMPLES=1000 for a long run
EXAMPLES = int(os.environ.get("KILOGLOT_SCHEMA_EXAMPLES", "40"))


def app():

    parser = ScriptedParser(["en-US", "de-DE"])
    parser.say("wake me up at 7:00", "alarm_set", 0.97, time="7:00")
    db = Path(tempfile.mkdtemp(prefix="kiloglot-schema-")) / "s.db"
    config = ServerConfig(database=f"sqlite:///{db}", api_keys=("schema-key",), scheduler=False)
    return create_app(parser, config, clock=lambda: NOW)


schema = schemathesis.openapi.from_asgi("/openapi.json", app())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=EXAMPLES <= 40)
def test_the_api_keeps_its_schema(case):
    if case.path.endswith("/events"):
        return  # an endless Server-Sent Events stream: tested in test_server_hardening
    case.call_and_validate(headers=KEY)
