"""The readers' fuzz target: any bytes, read in every mode, give reviews or failed records with
a reason, never an exception (other than ReadError, the documented refusal of a whole file).

Run by hand (see docs/reliability.md):

    uv run python fuzz/readers.py -atheris_runs=200000          # coverage-guided, with atheris
    uv run python fuzz/readers.py -max_total_time=300 corpus/   # five minutes, keeping a corpus

`tests/test_harden_properties.py` runs the same `read_every_way` on inputs from hypothesis.
"""

from __future__ import annotations

import io
import sys

from review_sentiment import _batch
from review_sentiment._reading import MAX_REVIEW_BYTES, ReadError, decode_bytes


def read_every_way(data: bytes) -> int:
    """Read `data` as a whole file, per line, as CSV and as JSONL; check every record is sane.
    Returns how many records were read."""
    count = 0
    try:
        text = decode_bytes(data).text
        assert text.strip()
        count += 1
    except ReadError:
        pass
    for reader, field in ((_batch._line_reviews, ""), (_batch._csv_reviews, "text"), (_batch._jsonl_reviews, "text")):
        try:
            for review in reader("fuzz", io.BytesIO(data), field):
                assert review.source == "fuzz"
                assert review.line is None or review.line >= 1
                assert bool(review.error) != bool(review.text.strip()), review
                assert len(review.text) <= MAX_REVIEW_BYTES
                count += 1
        except ReadError as refusal:
            assert str(refusal)
    return count


def main() -> None:
    import atheris

    for module in (_batch, sys.modules["review_sentiment._reading"], sys.modules["review_sentiment.encoding"]):
        for value in vars(module).values():
            if callable(value) and getattr(value, "__module__", "") == module.__name__ and hasattr(value, "__code__"):
                atheris.instrument_func(value)
    atheris.Setup(sys.argv, read_every_way)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
