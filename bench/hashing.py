"""Argon2id: hash and verify time at the service's parameters, against OWASP's minimum.

OWASP's Password Storage Cheat Sheet gives equivalent Argon2id minimums, among them m=19 MiB
(19,456 KiB), t=2, p=1 (the floor here) and m=46 MiB, t=1, p=1. The service's parameters come
from hellojohn.config (ARGON2_MEMORY_KIB, ARGON2_TIME_COST, ARGON2_PARALLELISM, unset in
template.yaml, so the defaults). Stronger options are timed beside them for the decision.
"""

import time
from dataclasses import dataclass, field

from bench.stats import median

OWASP_MIN = (19456, 2, 1)  # memory KiB, time cost, parallelism
OWASP_ALTERNATIVE = (47104, 1, 1)  # the same cheat sheet's m=46 MiB, t=1, p=1
STRONGER_TIME_COST = 3
PASSWORD = "Correct-Horse-42"


@dataclass
class HashResult:
    label: str
    memory_kib: int
    time_cost: int
    parallelism: int
    hash_s: list[float] = field(default_factory=list)
    verify_s: list[float] = field(default_factory=list)

    @property
    def hash_p50(self) -> float:
        return median(self.hash_s)

    @property
    def verify_p50(self) -> float:
        return median(self.verify_s)


def service_parameters() -> tuple[int, int, int]:
    from hellojohn.config import Settings

    fields = Settings.model_fields
    return (
        int(fields["argon2_memory_kib"].default),
        int(fields["argon2_time_cost"].default),
        int(fields["argon2_parallelism"].default),
    )


def run(samples: int = 15) -> list[HashResult]:
    from argon2 import PasswordHasher

    m, t, p = service_parameters()
    alt_m, alt_t, alt_p = OWASP_ALTERNATIVE
    configs = [
        HashResult("OWASP minimum (floor)", *OWASP_MIN),
        HashResult("service (hellojohn.config)", m, t, p),
        HashResult(f"t={STRONGER_TIME_COST}", m, STRONGER_TIME_COST, p),
        HashResult(f"m={alt_m // 1024} MiB, t={alt_t} (OWASP alternative)", alt_m, alt_t, alt_p),
        HashResult(f"m={alt_m // 1024} MiB, t={alt_t + 1}", alt_m, alt_t + 1, alt_p),
    ]
    if (m, t, p) == OWASP_MIN:  # the same parameters: one measurement, ratio 1.0 exactly
        configs.pop(1)
        configs[0].label = "service = OWASP minimum (floor)"
    hashers = [
        PasswordHasher(time_cost=c.time_cost, memory_cost=c.memory_kib, parallelism=c.parallelism)
        for c in configs
    ]
    stored = [h.hash(PASSWORD) for h in hashers]  # warm-up, and something to verify
    for _ in range(samples):
        for c, h, s in zip(configs, hashers, stored, strict=True):
            start = time.perf_counter()
            h.hash(PASSWORD)
            c.hash_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            h.verify(s, PASSWORD)
            c.verify_s.append(time.perf_counter() - start)
    return configs
