"""A model folder read without torch or transformers: `tokenizer.json` through the `tokenizers`
library and `config.json` as JSON.

The ONNX backends need nothing else once the graph is cached, and importing torch and
transformers costs a cold `slant check` two to three seconds, so `onnx.py` loads a cached graph
with these two. They answer exactly what `SentenceClassifier` asks of a Hugging Face tokenizer
and config, with the same results: the fast Hugging Face tokenizer of a folder *is* its
`tokenizer.json` run by `tokenizers` (`tests/models/test_torch_free.py` compares ids, segment
ids and offsets on real text).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Sequence

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"


class FolderConfig:
    """`config.json` as attributes, as `transformers.AutoConfig` gives them for what the scoring
    core reads: `id2label` with int keys, `num_labels`, and every other key as it is."""

    def __init__(self, values: dict):
        self.__dict__.update(values)
        self.id2label = {int(k): v for k, v in (values.get("id2label") or {}).items()}
        self.label2id = dict(values.get("label2id") or {})
        self.num_labels = len(self.id2label)

    @classmethod
    def from_folder(cls, folder: str | Path) -> "FolderConfig":
        return cls(json.loads((Path(folder) / "config.json").read_text(encoding="utf-8")))


class Encoded(dict):
    """A batch encoding: `input_ids`, `token_type_ids`, `offset_mapping` as lists, and
    `sequence_ids(i)` (None for special tokens, else the segment), as Hugging Face's."""

    def __init__(self, encodings, token_types: bool, offsets: bool):
        super().__init__(input_ids=[e.ids for e in encodings])
        if token_types:
            self["token_type_ids"] = [e.type_ids for e in encodings]
        if offsets:
            self["offset_mapping"] = [e.offsets for e in encodings]
        self._encodings = encodings

    def sequence_ids(self, index: int) -> list[int | None]:
        return self._encodings[index].sequence_ids


class FolderTokenizer:
    """A folder's `tokenizer.json` behind the call the scoring core makes of a Hugging Face
    tokenizer: texts (and optional second segments) in, ids unpadded, truncated to `max_length`
    tokens (longest segment first, as `truncation=True` does), special tokens added.

    `model_input_names` are the inputs the network takes (an ONNX graph's own), since without
    transformers there is no tokenizer class to say whether it wants `token_type_ids`.
    """

    def __init__(self, tokenizer, pad_token_id: int, model_input_names: Sequence[str]):
        self._tokenizer = tokenizer
        self._tokenizer.no_padding()
        self._max_length: int | None = None
        self._lock = threading.Lock()  # truncation is tokenizer state; set once per length
        self.pad_token_id = pad_token_id
        self.model_input_names = list(model_input_names)

    @classmethod
    def from_folder(cls, folder: str | Path, model_input_names: Sequence[str]) -> "FolderTokenizer":
        from tokenizers import Tokenizer

        folder = Path(folder)
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        settings = {}
        if (folder / TOKENIZER_CONFIG).is_file():
            settings = json.loads((folder / TOKENIZER_CONFIG).read_text(encoding="utf-8"))
        pad = settings.get("pad_token")
        if isinstance(pad, dict):  # an AddedToken written out
            pad = pad.get("content")
        pad_id = tokenizer.token_to_id(pad) if isinstance(pad, str) else None
        if pad_id is None and tokenizer.padding:
            pad_id = tokenizer.padding.get("pad_id")
        return cls(tokenizer, int(pad_id or 0), model_input_names)

    def __call__(self, texts: Sequence[str], pairs: Sequence[str] | None = None, *, truncation: bool = True,
                 max_length: int | None = None, padding: bool = False, return_attention_mask: bool = False,
                 return_token_type_ids: bool = False, return_offsets_mapping: bool = False) -> Encoded:
        if padding or return_attention_mask:
            raise ValueError("FolderTokenizer encodes without padding; the scoring core pads per batch")
        length = max_length if truncation else None
        batch = list(texts) if pairs is None else list(zip(texts, pairs, strict=True))
        with self._lock:
            if length != self._max_length:
                if length is None:
                    self._tokenizer.no_truncation()
                else:
                    self._tokenizer.enable_truncation(length, strategy="longest_first")
                self._max_length = length
            encodings = self._tokenizer.encode_batch(batch, add_special_tokens=True)
        return Encoded(encodings, return_token_type_ids, return_offsets_mapping)
