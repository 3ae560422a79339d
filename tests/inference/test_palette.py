"""Every technique has a colour that no other technique's colour can be mistaken for, also by
readers with a colour-vision deficiency.

Distances are CIEDE2000 between the 16 colours of style.css, as seen with normal vision and as
simulated for protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes 2009,
severity 1). 11 units is far beyond a just noticeable difference (about 2); the palette it
replaced (golden-angle hues) had pairs 3.3 apart with normal vision and 0.8 with tritanopia.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from slant.inference.server import STATIC

MIN_DISTANCE = 11.0
MACHADO = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def palette() -> list[str]:
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    tones = dict(re.findall(r"\.c(\d+) \{ --tone: (#[0-9a-f]{6}); \}", css))
    return [tones[str(i)] for i in range(len(tones))]


def linear(rgb):
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def seen_as(hexes: list[str], vision: str) -> np.ndarray:
    """CIELAB (D65) of the colours as a reader with `vision` sees them."""
    rgb = np.array([[int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)] for h in hexes])
    lin = np.clip(linear(rgb) @ MACHADO[vision].T, 0, 1)
    xyz = lin @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=-1)


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    (L1, a1, b1), (L2, a2, b2) = lab1.T, lab2.T
    mean_c = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(mean_c**7 / (mean_c**7 + 25**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    dh = np.where(c1 * c2 == 0, 0, (h2 - h1 + 180) % 360 - 180)
    d_l, d_c, d_h = L2 - L1, c2 - c1, 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    mean_l, mean_c = (L1 + L2) / 2, (c1 + c2) / 2
    mean_h = np.where(c1 * c2 == 0, h1 + h2,
                      np.where(np.abs(h1 - h2) <= 180, (h1 + h2) / 2, (h1 + h2 + 360 * np.where(h1 + h2 < 360, 1, -1)) / 2))
    t = (1 - 0.17 * np.cos(np.radians(mean_h - 30)) + 0.24 * np.cos(np.radians(2 * mean_h))
         + 0.32 * np.cos(np.radians(3 * mean_h + 6)) - 0.20 * np.cos(np.radians(4 * mean_h - 63)))
    s_l = 1 + 0.015 * (mean_l - 50) ** 2 / np.sqrt(20 + (mean_l - 50) ** 2)
    s_c, s_h = 1 + 0.045 * mean_c, 1 + 0.015 * mean_c * t
    r_t = (-np.sin(np.radians(60 * np.exp(-(((mean_h - 275) / 25) ** 2))))
           * 2 * np.sqrt(mean_c**7 / (mean_c**7 + 25**7)))
    return np.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


def test_ciede2000_matches_the_published_test_pairs():
    """Sharma, Wu & Dalal (2005), table 1, pairs 1, 7 and 17."""
    lab1 = np.array([[50.0, 2.6772, -79.7751], [50.0, 0.0, 0.0], [50.0, 2.5, 0.0]])
    lab2 = np.array([[50.0, 0.0, -82.7485], [50.0, -1.0, 2.0], [73.0, 25.0, -18.0]])
    assert ciede2000(lab1, lab2) == pytest.approx([2.0425, 2.3669, 27.1492], abs=1e-4)


def test_there_is_one_colour_per_technique():
    from slant.models.labels import load_labels

    colours = palette()
    assert len(colours) == len(load_labels().techniques) == 16
    assert len(set(colours)) == 16


@pytest.mark.parametrize("vision", list(MACHADO))
def test_every_pair_of_technique_colours_is_far_apart(vision):
    lab = seen_as(palette(), vision)
    i, j = np.triu_indices(len(lab), 1)
    distances = ciede2000(lab[i], lab[j])
    closest = int(np.argmin(distances))
    assert distances[closest] >= MIN_DISTANCE, (vision, palette()[i[closest]], palette()[j[closest]], distances[closest])
