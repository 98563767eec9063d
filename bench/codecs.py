#!/usr/bin/env python3
"""Codec CPU per record: request encoding and response decoding alone, on Adult test rows
(no HTTP, no model). The part of "analyzer CPU per predicted row" that the codecs own.

    python bench/codecs.py [--rows 20000] [--repeat 5]

Prints CPU µs per record (process time, best of --repeat) for each encoder and decoder.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.formats.responses import ResponseCodec  # noqa: E402
from analyzer.predictor.codecs import RequestCodec, templates  # noqa: E402


def _best(action, rows: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.process_time()
        action()
        best = min(best, time.process_time() - began)
    return best / rows * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    test = pd.read_csv(ROOT / "data" / "adult" / "adult_test.csv").drop(columns=["Target"])
    frame = pd.concat([test] * (args.rows // len(test) + 1), ignore_index=True).iloc[:args.rows]
    names = tuple(frame.columns)
    scores = np.random.default_rng(0).random(args.rows).tolist()
    bodies = {
        "csv scores": (ResponseCodec("text/csv"), "\n".join(map(repr, scores))),
        "csv label,score": (ResponseCodec("text/csv", label=0, probability=1),
                            "\n".join(f"{int(s > 0.5)},{s!r}" for s in scores)),
        "jsonlines label+score (JMESPath)": (
            ResponseCodec("application/jsonlines", label="predicted_label", probability="score"),
            "\n".join(f'{{"predicted_label":{int(s > 0.5)},"score":{s!r}}}' for s in scores)),
    }
    encoders = {
        "encode csv": RequestCodec("text/csv", names),
        "encode jsonlines": RequestCodec("application/jsonlines", names, content_template='{"features":$features}'),
        "encode json kvp": RequestCodec("application/json", names, "$records",
                                        templates.RecordTemplate("$features_kvp", names)),
    }
    for name, codec in encoders.items():
        print(f"{name:38s} {_best(lambda: codec.encode(frame), args.rows, args.repeat):6.2f} µs/record")
    for name, (decoder, text) in bodies.items():
        body = text.encode()
        print(f"decode {name:31s} {_best(lambda: decoder.decode(body, args.rows), args.rows, args.repeat):6.2f} "
              "µs/record")


if __name__ == "__main__":
    main()
