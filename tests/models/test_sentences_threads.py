"""The splitter gives the same sentences when many threads split at once."""

from concurrent.futures import ThreadPoolExecutor

from slant.models.sentences import split_sentences

DRAFTS = [
    f"Dr. Smith met Mr. Jones in Washington on day {i}. They talked, e.g. about the U.S. budget! "
    f"\"Is it over?\" asked reporter {i}. Nobody knows yet; the talks go on."
    for i in range(60)
]


def test_concurrent_splitting_matches_serial():
    serial = [split_sentences(d) for d in DRAFTS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(split_sentences, DRAFTS * 3))
    assert parallel == serial * 3
