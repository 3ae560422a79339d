"""Uniform "model soup": the element-wise mean of several fine-tuned models' weights.

    python benchmarks/soup.py --models models/released runs/exp-C-realnews-3ep/model --out runs/soup-BC

Models fine-tuned from the same starting weights often sit in one basin, where their average is
a single model (one forward pass, a plain Hugging Face folder) that scores like an ensemble
(Wortsman et al., 2022). The soup is then calibrated like any recipe with `slant calibrate`.
"""

from __future__ import annotations

import argparse

import torch

from slant.models.classifier import SlantClassifier


def soup(paths: list[str]) -> SlantClassifier:
    classifiers = [SlantClassifier.from_pretrained(path) for path in paths]
    states = [c.model.state_dict() for c in classifiers]
    mean = {key: torch.stack([s[key].float() for s in states]).mean(0).to(states[0][key].dtype) for key in states[0]}
    first = classifiers[0]
    first.model.load_state_dict(mean)
    first.name = "soup(" + ", ".join(paths) + ")"
    return first


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    print(soup(args.models).save_pretrained(args.out))


if __name__ == "__main__":
    main()
