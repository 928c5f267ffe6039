"""The webhook URL rule (hellojohn/ssrf.py), table by table: what is refused and what is not."""

import ipaddress

import pytest
from hellojohn import ssrf

# (url, allowed outside the local runner, allowed by the local runner)
URLS = [
    ("https://hooks.example.com/in", True, True),
    ("https://hooks.example.com:8443/in?x=1", True, True),
    ("https://93.184.215.14/in", True, True),
    ("https://[2606:4700:4700::1111]/in", True, True),
    ("http://hooks.example.com/in", False, False),  # not https
    ("ftp://hooks.example.com/in", False, False),
    ("https://user:pass@hooks.example.com/in", False, False),  # credentials
    ("https://user@hooks.example.com/in", False, False),
    ("https://10.0.0.1/in", False, False),
    ("https://172.16.5.4/in", False, False),
    ("https://192.168.1.1/in", False, False),
    ("https://100.64.0.1/in", False, False),  # shared address space
    ("https://127.0.0.1/in", False, True),
    ("http://127.0.0.1:8080/in", False, True),
    ("http://localhost:8080/in", False, True),
    ("https://localhost/in", False, True),
    ("https://169.254.169.254/latest/meta-data/", False, False),  # the metadata service
    ("https://[fd00:ec2::254]/", False, False),  # its IPv6 form (unique local)
    ("https://[::1]/in", False, True),
    ("https://[::ffff:127.0.0.1]/in", False, False),  # IPv4-mapped loopback
    ("https://[::ffff:10.0.0.1]/in", False, False),
    ("https://[::ffff:169.254.169.254]/in", False, False),
    ("https://[64:ff9b::a9fe:a9fe]/in", False, False),  # NAT64 of 169.254.169.254
    ("https://[2002:a00:1::]/in", False, False),  # 6to4 of 10.0.0.1
    ("https://0.0.0.0/in", False, False),
    ("https://[::]/in", False, False),
    ("https://224.0.0.1/in", False, False),  # multicast
    ("https://[ff02::1]/in", False, False),
    ("https://[fe80::1]/in", False, False),  # link-local
    ("https://255.255.255.255/in", False, False),
    ("https://intranet/in", False, False),  # a bare word: the search domains' to resolve
    ("https:///in", False, False),
    ("https://hooks.example.com/in#frag", False, False),
    ("https://hooks.example.com/ in", False, False),
    ("https://" + "a" * 2048 + ".com/", False, False),
]


@pytest.mark.parametrize(("url", "public", "local"), URLS)
def test_url_table(url: str, public: bool, local: bool) -> None:
    for allow_loopback, expected in ((False, public), (True, local)):
        if expected:
            ssrf.check_url(url, allow_loopback=allow_loopback)
        else:
            with pytest.raises(ssrf.Refused):
                ssrf.check_url(url, allow_loopback=allow_loopback)


def _resolver(answers: list[str]) -> ssrf.Resolver:
    return lambda host, port: answers


# a name whose DNS answer is checked at delivery: (answer, allowed outside the local runner)
ANSWERS = [
    (["93.184.215.14"], True),
    (["2606:4700:4700::1111"], True),
    (["10.0.0.1"], False),  # a name resolving to a private address
    (["127.0.0.1"], False),
    (["169.254.169.254"], False),
    (["::1"], False),
    (["::ffff:127.0.0.1"], False),
    (["0.0.0.0"], False),  # noqa: S104 - an answer to refuse, not a bind
    (["93.184.215.14", "10.0.0.1"], False),  # one private answer among public ones refuses all
    ([], False),
]


@pytest.mark.parametrize(("answers", "allowed"), ANSWERS)
def test_resolved_addresses(answers: list[str], allowed: bool) -> None:
    target = ssrf.check_url("https://hooks.example.com/in")
    if allowed:
        assert ssrf.resolve(target, _resolver(answers)) == ipaddress.ip_address(answers[0])
    else:
        with pytest.raises(ssrf.Refused):
            ssrf.resolve(target, _resolver(answers))


def test_local_names_resolve_to_loopback_only_when_allowed() -> None:
    target = ssrf.check_url("http://localhost:9000/in", allow_loopback=True)
    assert ssrf.resolve(target, _resolver(["::1", "127.0.0.1"]), allow_loopback=True).is_loopback
    assert target.host_header == "localhost:9000"
    with pytest.raises(ssrf.Refused):
        ssrf.resolve(target, _resolver(["127.0.0.1"]), allow_loopback=False)


def test_template_never_allows_loopback() -> None:
    """The local runner's setting is nowhere in template.yaml: a deployed stack refuses loopback."""
    from local_runner import template

    assert "WEBHOOK_ALLOW_LOOPBACK" not in template.TEMPLATE.read_text()
