"""`slant serve`: the editor's web page and JSON API on a local port."""

from __future__ import annotations

import argparse
import logging
import socket

from slant.cli._io import add_backend, integer, non_negative, positive

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(commands):
    parser = commands.add_parser(
        "serve",
        help="run the editor's web page and JSON API (http://127.0.0.1:8000 by default)",
        description="Serve a page where editors paste a draft and see flagged sentences, "
        "techniques, probabilities and trigger words; plus POST /api/analyse (schema: /openapi.json).",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 exposes it)")
    parser.add_argument("--port", type=_port, default=8000, help="default 8000; 0 picks a free port")
    parser.add_argument("--model", default=None, help="model folder or models:/ URI (default: released model)")
    add_backend(parser)
    parser.add_argument("--max-chars", type=positive, default=None, metavar="N",
                        help="longest text accepted, in characters (default 100,000); longer ones get HTTP 413")
    parser.add_argument("--cache-sentences", type=non_negative, default=None,
                        help="sentences whose scores and trigger words are kept for re-checks of edited "
                        "drafts (default 20000; 0 turns caching off)")
    parser.set_defaults(func=run)


def run(args) -> int:
    import uvicorn

    from slant.inference.predictor import Predictor
    from slant.inference.server import DEFAULT_CACHE_SENTENCES, DEFAULT_MAX_CHARS, create_app

    # Bind first: a taken port fails in a moment, not after loading the model.
    listener = _listen(args.host, args.port)
    host, port = listener.getsockname()[:2]
    predictor = Predictor.load(args.model, backend=args.backend)  # once, before the first request
    app = create_app(
        predictor,
        max_chars=args.max_chars or DEFAULT_MAX_CHARS,
        cache_sentences=DEFAULT_CACHE_SENTENCES if args.cache_sentences is None else args.cache_sentences,
    )
    if args.host not in LOOPBACK:
        logging.getLogger("slant.serve").warning(
            "binding %s: anyone who can reach this machine can use the service", args.host
        )
    classifier = predictor.classifier
    print(f"slant serve: model {classifier.name} ({classifier.backend.name}); open http://{_url_host(host)}:{port}/",
          flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[listener])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """Bind here rather than in uvicorn: a taken port becomes a one-line error, and with
    --port 0 (any free port) the port actually bound can be reported."""
    from slant.models.errors import SlantError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)
    except OSError as error:
        raise SlantError("E201", host=host, port=port, reason=error.strerror or str(error)) from None
    return listener


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _port(value: str) -> int:
    number = integer(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {value!r}")
    return number
