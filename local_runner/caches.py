"""The layer's per-process caches, emptied: the next request in this process is a cold one.

One list of every `@cache` the service keeps (settings, clients, tenant keys, Powertools'
parameter cache), for the tests' fixtures and the benchmarks: a cache added to the layer is added
here once.
"""


def reset() -> None:
    from aws_lambda_powertools.utilities import parameters
    from hellojohn import config
    from hellojohn.adapters import jobs, mail
    from hellojohn.rules import tenancy
    from hellojohn.store import client

    config.settings.cache_clear()
    client.dynamodb.cache_clear()
    jobs.sqs.cache_clear()
    mail.ses.cache_clear()
    tenancy.clear_caches()
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
