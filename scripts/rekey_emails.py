"""`make rekey-emails [STACK=name]`: move every user's email claim to today's email key, once,
right after deploying the release that normalises addresses with NFKC, case-folding and IDNA.

    python -m scripts.rekey_emails                       # the running local runner (.local/stack.json)
    python -m scripts.rekey_emails --stack hellojohn-users-prod

Only addresses with characters outside ASCII have a new key (an ASCII address keeps the key it
had): until this has run, such a user is not found by their address (sign-in, the `email=`
filter) and their address is not held against a look-alike. Safe to run again (a moved user is
skipped) and while the API serves (each move is conditioned on the user as read). Two existing
accounts that are look-alikes of each other cannot both hold one key: the second is listed, left
as it is, for an admin to change one of the addresses. The LAST line printed is JSON.
"""

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hellojohn.fields import email_key
from hellojohn.store import rekey

from scripts.local_stack import Refused
from scripts.tenant import deployed_stack, local_target


@dataclass
class Result:
    moved: int = 0
    look_alikes: list[dict[str, str]] = field(default_factory=list)  # left for an admin
    changed_meanwhile: list[dict[str, str]] = field(default_factory=list)  # run again


def run() -> Result:
    result = Result()
    for user in rekey.stale(email_key):
        try:
            rekey.move(user)
            result.moved += 1
        except rekey.Taken:
            result.look_alikes.append(
                {"tenant_id": user.tenant_id, "user_id": user.user_id, "key": user.new_key}
            )
        except rekey.Moved:
            result.changed_meanwhile.append({"tenant_id": user.tenant_id, "user_id": user.user_id})
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.rekey_emails", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--stack", help="a deployed stack's name (default: the running local runner)")
    parser.add_argument("--state-dir", default=".local", help="the local runner's state directory")
    args = parser.parse_args(argv)
    try:
        deployed_stack(args.stack) if args.stack else local_target(Path(args.state_dir))
    except Refused as exc:
        print(f"make rekey-emails: {exc}", file=sys.stderr)
        return 1
    result = run()
    print(f"moved {result.moved}; look-alikes left for an admin: {len(result.look_alikes)}")
    print(json.dumps(asdict(result)))
    return 0 if not result.look_alikes and not result.changed_meanwhile else 2


if __name__ == "__main__":
    raise SystemExit(main())
