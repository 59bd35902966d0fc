"""How `ims run --webhook-url` turns its options into the webhook's parameters."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from ims_cli.main import main, parse_args
from ims_cli.webhook import PATH_KEY, SECRET_TOKEN_KEY, WebhookParameters, webhook_parameters
from ims_domain.errors import ImsDomainError
from storage.db import make_engine
from storage.models import DeploymentValue

TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")


def parameters_of(engine: Engine, *argv: str) -> WebhookParameters:
    """What `ims run ARGV` would serve its webhook with."""
    args = parse_args(["run", *argv])
    return webhook_parameters(
        engine,
        base_url=args.webhook_url,
        listen=args.listen,
        port=args.port,
        secret_token=args.secret_token,
    )


def stored(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {row.key: row.value for row in session.exec(select(DeploymentValue))}


def test_defaults_listen_on_localhost_with_a_generated_secret_and_path(engine: Engine) -> None:
    params = parameters_of(engine, "--webhook-url", "https://bot.example.com/")

    assert (params.listen, params.port) == ("127.0.0.1", 8443)
    assert TELEGRAM_SECRET.fullmatch(params.secret_token)
    assert re.fullmatch(r"[A-Za-z0-9_-]{24,}", params.url_path)
    assert params.webhook_url == f"https://bot.example.com/{params.url_path}"
    assert stored(engine) == {SECRET_TOKEN_KEY: params.secret_token, PATH_KEY: params.url_path}


def test_a_second_run_and_a_second_worker_reuse_the_stored_secret_and_path(
    engine: Engine, db_url: str
) -> None:
    first = parameters_of(engine, "--webhook-url", "https://bot.example.com")
    again = parameters_of(engine, "--webhook-url", "https://bot.example.com", "--port", "8444")
    other_worker = make_engine(db_url)
    try:
        second = parameters_of(
            other_worker, "--webhook-url", "https://bot.example.com", "--listen", "10.0.0.5"
        )
    finally:
        other_worker.dispose()

    assert again == WebhookParameters(
        listen="127.0.0.1",
        port=8444,
        url_path=first.url_path,
        webhook_url=first.webhook_url,
        secret_token=first.secret_token,
    )
    assert (second.listen, second.secret_token, second.url_path) == (
        "10.0.0.5",
        first.secret_token,
        first.url_path,
    )


def test_workers_starting_together_agree_on_one_secret_and_path(
    engine: Engine, db_url: str
) -> None:
    workers = [make_engine(db_url) for _ in range(4)]
    start = threading.Barrier(len(workers))
    results: list[WebhookParameters] = []

    def run(worker: Engine) -> None:
        start.wait()
        results.append(parameters_of(worker, "--webhook-url", "https://bot.example.com"))

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.dispose()

    assert len(results) == len(workers)
    assert len({(p.secret_token, p.url_path) for p in results}) == 1
    assert stored(engine) == {
        SECRET_TOKEN_KEY: results[0].secret_token,
        PATH_KEY: results[0].url_path,
    }


def test_a_given_secret_is_used_and_not_stored(engine: Engine) -> None:
    params = parameters_of(
        engine, "--webhook-url", "https://bot.example.com/ims", "--secret-token", "my_Secret-1"
    )

    assert params.secret_token == "my_Secret-1"
    assert params.webhook_url == f"https://bot.example.com/ims/{params.url_path}"
    assert stored(engine) == {PATH_KEY: params.url_path}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--webhook-url", "http://bot.example.com"], "is not a public https:// address"),
        (["--webhook-url", "bot.example.com"], "is not a public https:// address"),
        (["--webhook-url", "https://bot.example.com/?a=1"], "is not a public https:// address"),
        (
            ["--webhook-url", "https://bot.example.com", "--secret-token", "no spaces"],
            "--secret-token must be 1-256 characters",
        ),
    ],
)
def test_bad_webhook_options_are_refused(argv: list[str], message: str) -> None:
    untouched = make_engine("sqlite://")  # refused before the database is asked anything
    with pytest.raises(ImsDomainError, match=re.escape(message)):
        parameters_of(untouched, *argv)


def test_ims_run_with_a_bad_webhook_url_is_one_line_before_anything_starts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv("IMS_DATABASE_URL", f"sqlite:///{tmp_path / 'run.db'}")

    code = main(["run", "--webhook-url", "http://bot.example.com"])

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        "ims run: --webhook-url 'http://bot.example.com' is not a public https:// address "
        "like https://bot.example.com\n"
    )
