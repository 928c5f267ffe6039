"""Print shell exports for the running local stack: `eval "$(.venv/bin/python -m local_runner.env)"`.

Sets API, SK (secret key), PK (publishable key), TID (tenant id), USER_ID, EMAIL and PASSWORD
(the demo user), as the README's curl examples expect.
"""

import json
import shlex
import sys
from pathlib import Path


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else ".local/credentials.json")
    if not path.exists():
        sys.stderr.write(f"{path} not found: start the local runner first (make run)\n")
        return 1
    creds = json.loads(path.read_text())
    values = {
        "API": creds["api_url"],
        "SK": creds["secret_key"],
        "PK": creds["publishable_key"],
        "TID": creds["tenant_id"],
        "USER_ID": creds["demo_user"]["id"],
        "EMAIL": creds["demo_user"]["email"],
        "PASSWORD": creds["demo_user"]["password"],
    }
    sys.stdout.write("".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
