"""moto in server mode, inside this process, and boto3 pointed at it: never at real AWS.

`safe_environment` is the one definition of an environment that cannot reach a real account: the
runner, the tests, their subprocesses, the benchmarks and `scripts/tenant.py --local` all take it
from here.
"""

import logging
import os
from collections.abc import Mapping

import boto3

from local_runner.invoke import REGION


def safe_environment(
    base: Mapping[str, str], endpoint: str | None = None, region: str = REGION
) -> dict[str, str]:
    """`base` without any `AWS_*` variable (profiles, tokens, roles, endpoints), plus dummy
    credentials, `region`, no config or credentials file and no instance metadata: boto3 finds no
    real credentials anywhere. With `endpoint`, every client talks to it (`AWS_ENDPOINT_URL`)."""
    env = {key: value for key, value in base.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def use_safe_environment(endpoint: str | None = None, region: str = REGION) -> None:
    """This process's environment made `safe_environment(...)`, and boto3's default session made
    anew from it: every client made from now on gets dummy credentials (and `endpoint`)."""
    safe = safe_environment(os.environ, endpoint, region)
    for key in set(os.environ) - set(safe):
        del os.environ[key]
    os.environ.update(safe)
    boto3.setup_default_session()


class Moto:
    """moto's server on a free loopback port, in a thread of this process (so its state is readable)."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer  # moto's server (flask) only where it runs

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not one line per AWS call
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.endpoint = ""

    def start(self) -> str:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def stop(self) -> None:
        if self.endpoint:
            self._server.stop()
            self.endpoint = ""
