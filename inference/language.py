"""Which language a text is in, so that text Slant's English model cannot read is never scored
as if it were English.

The detector is py3langid (langid.py's model, 140 languages, shipped inside the package, so
nothing downloads at run time). The rule is **one decision per document**:

* the document's language is the detector's most probable language for the whole text (up to
  `SAMPLE_CHARS` characters, taken from its start, middle and end), when the detector is at
  least `MIN_PROBABILITY` sure of it and the text has at least `MIN_LETTERS` letters;
* otherwise the text is too short or too mixed to tell, and it is treated as English.

So a mostly English article quoting a sentence of German is scored (the German sentence with
it), and a mostly German article quoting English is not scored at all. Per-sentence decisions
were not taken: single sentences are often too short to identify (headlines, "Why?"), and
English names and quotes make many of them look like other languages.

Measured on 2026-12-02 on the 461 PTC articles (all English): every article is detected as
English with probability >= 0.998; of its 19,858 lines, 3 pass the bar as another language,
and all 3 are indeed Latin or Hungarian quotations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

SUPPORTED = ("en",)  # what the model was trained on
MIN_PROBABILITY = 0.9  # below this the detector is not sure: treat as English
MIN_LETTERS = 20  # shorter texts ("Why?", "Number 17.") cannot be told apart reliably
SAMPLE_CHARS = 30_000  # detection cost is linear in the text; a sample decides as well

# Names for the warning line; other languages are shown by their code alone.
NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "la": "Latin", "lt": "Lithuanian", "lv": "Latvian",
    "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish", "th": "Thai", "tr": "Turkish",
    "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1 where the language has one (the detector's code otherwise)
    probability: float  # the detector's, for `code`; 0.0 when the text was too short to judge

    @property
    def supported(self) -> bool:
        return self.code in SUPPORTED

    @property
    def name(self) -> str:
        return NAMES.get(self.code, self.code)

    def fields(self) -> dict:
        """The fields of the catalogue's E052/W052 messages."""
        return {"language": self.name, "code": self.code}


@lru_cache(maxsize=1)
def _identifier():
    """The detector. Its model ships LZMA-compressed (4.5 MB, 68 MB unpacked), and unpacking it
    took most of a cold `slant check`'s second; so it is unpacked once into the cache
    (`$SLANT_CACHE/langid/`, as plain .npy arrays, the largest memory-mapped) and read from there
    afterwards. Any trouble with the cache falls back to the packaged file."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    try:
        return _cached_identifier(LanguageIdentifier)
    except Exception:  # a read-only or damaged cache: the packaged model is always there
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")  # py3langid's model layout


def _cached_identifier(identifier_class):
    import os
    from pathlib import Path

    import numpy as np
    from py3langid import modelio
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    packaged = Path(MODEL_DIR) / MODEL_FILE
    stamp = os.stat(packaged)
    root = Path(os.environ.get("SLANT_CACHE", Path.home() / ".cache" / "slant"))
    folder = root / "langid" / f"{detector_version().replace(' ', '-')}-{stamp.st_size}-{stamp.st_mtime_ns}"
    if not (folder / "out_feat.npy").is_file():
        _unpack(packaged, folder)
    data = {name: np.load(folder / f"{name}.npy", mmap_mode="r" if name == "ptc" else None, allow_pickle=False)
            for name in ARRAYS}
    # as py3langid's own loader builds it (modelio.load_model), from the same arrays
    return identifier_class(np.asarray(data["ptc"]), data["pc"], data["classes"].tolist(),
                            modelio._to_array(data["nextmove"]), data["out_feat"].tolist(), norm_probs=True,
                            tk_row=modelio._to_array(data["nextmove_row"]))


def _unpack(packaged, folder):
    """The packaged model's arrays as .npy files in `folder`, written beside it and renamed into
    place, so a concurrent reader never sees half a folder."""
    import io
    import lzma
    import os
    import shutil
    import tempfile

    import numpy as np

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = tempfile.mkdtemp(dir=folder.parent, prefix=".unpacking-")
    try:
        with lzma.open(packaged) as source, np.load(io.BytesIO(source.read()), allow_pickle=False) as data:
            for name in ARRAYS:
                np.save(os.path.join(staging, f"{name}.npy"), data[name], allow_pickle=False)
        try:
            os.rename(staging, folder)
        except OSError:  # another process unpacked it first
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def detect(text: str) -> Language:
    """The language a document is treated as (see the module's rule)."""
    sample = _sample(text)
    if sum(character.isalpha() for character in sample) < MIN_LETTERS:
        return Language("en", 0.0)
    code, probability = _identifier().classify(sample)
    if probability < MIN_PROBABILITY:
        return Language("en", float(dict(_identifier().rank(sample)).get("en", 0.0)))
    return Language(str(code), float(probability))


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    third = SAMPLE_CHARS // 3
    middle = len(text) // 2
    return " ".join((text[:third], text[middle - third // 2 : middle + third // 2], text[-third:]))


def detector_version() -> str:
    """Recorded with a scoring run: another detector may reject other documents."""
    from importlib import metadata

    return f"py3langid {metadata.version('py3langid')}"
