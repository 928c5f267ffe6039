"""moto in server mode, inside this process, and boto3 pointed at it: never at real AWS."""

import logging
import os

import boto3
from moto.server import ThreadedMotoServer

from local_runner.invoke import REGION

# variables that could send boto3 elsewhere than moto, or pick real credentials
_UNSAFE = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN")


class Moto:
    """moto's server on a free loopback port, in a thread of this process (so its state is readable)."""

    def __init__(self) -> None:
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


def point_boto3_at(endpoint: str) -> None:
    """Every boto3 client made from now on talks to `endpoint`, with dummy credentials."""
    for key in list(os.environ):
        if key in _UNSAFE or key.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[key]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    boto3.setup_default_session()
