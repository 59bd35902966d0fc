"""Mutated real files (the licensed samples, read at test time, never copied) make every parser
raise nothing but FormatError; the rows that survive are still valid records."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ims_domain.formats.common import FormatError
from ims_domain.formats.detect import parse_json_file

GSTIN = "27AAPFU0939F1ZV"


def _mutate(value: object, rng: random.Random) -> object:
    """Replace, drop or retype one leaf somewhere in a JSON document."""
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        choice = rng.random()
        if choice < 0.2:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _mutate(value[key], rng)}
    if isinstance(value, list) and value:
        index = rng.randrange(len(value))
        return [*value[:index], _mutate(value[index], rng), *value[index + 1 :]]
    return rng.choice(
        [None, "", "x" * 40, -1, 10**30, "31-02-2025", "1e999", [], {}, "27AAPFU0939F1Z", 0.1, True]
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 2**32 - 1), mutations=st.integers(1, 6), cut=st.integers(0, 400))
def test_mutated_samples_raise_only_format_errors(
    shared_samples: Path, seed: int, mutations: int, cut: int
) -> None:
    rng = random.Random(seed)
    paths = sorted(p for p in shared_samples.rglob("*.json") if "gstin" not in p.parts)
    original = rng.choice(paths).read_bytes()
    document = json.loads(original)
    for _ in range(mutations):
        document = _mutate(document, rng)
    data = json.dumps(document).encode()
    if cut and rng.random() < 0.2:
        data = data[: max(1, len(data) - cut)]  # truncated on the way
    try:
        parsed = parse_json_file(data, gstin=GSTIN)
    except FormatError:
        return
    for reported in parsed.records:
        assert reported.record.key.text
        assert all(
            amount == amount.quantize(amount) for amount in reported.record.taxes.as_dict().values()
        )
