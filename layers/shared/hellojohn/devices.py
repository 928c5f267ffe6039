"""A session's User-Agent as people read it ("Chrome 156 on Linux"), for the session listings.

Parsed with ua-parser (its `ua-parser-builtins` rules) when a listing is built, never stored: a
better rule set relabels old sessions too. The parser (about 40 ms to import, and its rules
compiled on first use) loads only here, so routes that list no sessions never pay for it.
"""

from functools import lru_cache

_UNKNOWN = "Other"  # ua-parser's family for what no rule matched


@lru_cache(maxsize=256)
def label(user_agent: str | None) -> str | None:
    """The browser, its major version and the OS: "Chrome 156 on Linux", "Mobile Safari 17 on
    iOS", "curl 8" (no OS named); None when neither is recognised (the raw string is all there is)."""
    if not user_agent:
        return None
    from ua_parser import parse

    result = parse(user_agent)
    agent = result.user_agent
    browser = (
        " ".join(p for p in (agent.family, agent.major) if p) if agent and agent.family != _UNKNOWN else None
    )
    system = result.os.family if result.os and result.os.family != _UNKNOWN else None
    if browser and system:
        return f"{browser} on {system}"
    if system:
        return f"A browser on {system}"
    return browser
