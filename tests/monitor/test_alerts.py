"""Prove that an alert reaches a real SMTP server and a real webhook when new data changes an indicator's state,
exactly once per state, and that figures of non-public indicators never leave in an alert."""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.helpers.server import free_port
from tests.monitor.conftest import FIGURES, RENEWABLE, declare, ingest_text
from wierde.monitor import alerts
from wierde.monitor.compute import all_indicators, compute
from wierde.store.repository import Store

# The province's share in 2024 is 440/1300 = 33.8 %; a target of 35 % is missed until the city supplies more.
TARGET_35 = {**RENEWABLE, "targets": [{"values": {2024: 35}, "source": {"nl": "Testbeleid", "en": "Test policy"}}]}
MORE = FIGURES.replace("GM0014,2024,300,1000", "GM0014,2024,350,1000")  # 490/1300 = 37.7 %: met
EVEN_MORE = FIGURES.replace("GM0014,2024,300,1000", "GM0014,2024,400,1000")  # 41.5 %: still met
LESS = FIGURES.replace("GM0014,2024,300,1000", "GM0014,2024,250,1000")  # 30.0 %: missed again


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"



@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


@contextmanager
def webhook_server(status: int = 200) -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    """A real HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it and answers `status`."""
    received: list[dict[str, Any]] = []
    answer = [status]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append({"json": json.loads(body), "type": self.headers.get("Content-Type")})
            self.send_response(answer[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, answer
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def watched(figures: Store, mailbox: tuple[Mailbox, int]) -> Store:
    """The renewable share with a 35 % target, computed, and the instance mailing through the local SMTP server."""
    figures.settings = figures.settings.with_(smtp_url=f"smtp://127.0.0.1:{mailbox[1]}",
                                              mail_from="monitor@provincie.test", base_url="https://data.provincie.test")
    declare(figures, TARGET_35)
    compute(figures, all_indicators(figures)[0])
    return figures


def test_a_new_version_that_meets_the_target_sends_one_email(watched: Store,
                                                              mailbox: tuple[Mailbox, int]) -> None:
    box, _port = mailbox
    spec = all_indicators(watched)[0]
    sub = alerts.subscribe(watched, spec, rule="crosses-target", email="beleid@provincie.test")
    assert sub.last_state == "not-met" and box.messages == [], "subscribing records the state, it sends nothing"

    ingest_text(watched, "cijfers", MORE)  # the store's listener recomputes and evaluates the alerts

    assert len(box.messages) == 1
    mail = box.messages[0]
    assert mail["To"] == "beleid@provincie.test" and mail["From"] == "monitor@provincie.test"
    assert mail["Subject"] == "Aandeel hernieuwbare energie: doel gehaald (Groningen)"
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Waarde: 37,7 %" in body and "Doel 2024: 35,0 %" in body and "Bron van het doel: Testbeleid" in body
    assert "https://data.provincie.test/indicators/hernieuwbaar?region=PV20" in body

    ingest_text(watched, "cijfers", EVEN_MORE)  # a new version, the same state: no second mail
    assert len(box.messages) == 1
    ingest_text(watched, "cijfers", LESS)  # crossing back is news again
    assert len(box.messages) == 2 and "doel niet gehaald" in box.messages[1]["Subject"]


def test_english_subscribers_get_english_mail(watched: Store, mailbox: tuple[Mailbox, int]) -> None:
    box, _port = mailbox
    alerts.subscribe(watched, all_indicators(watched)[0], rule="crosses-target", email="policy@provincie.test",
                     lang="en")
    ingest_text(watched, "cijfers", MORE)
    assert [m["Subject"] for m in box.messages] == ["Share of renewable energy: target met (Groningen)"]


def test_a_webhook_receives_the_cards_data_on_a_large_change(watched: Store) -> None:
    spec = all_indicators(watched)[0]
    with webhook_server() as (url, received, _answer):
        sub = alerts.subscribe(watched, spec, rule="change", threshold=25, webhook=url, region="GM0014")
        assert sub.last_state == "2024:within"  # GM0014: 25 % in 2023, 30 % in 2024: a change of 20 %
        ingest_text(watched, "cijfers", EVEN_MORE)  # 40 % in 2024: a change of 60 %
        assert len(received) == 1 and received[0]["type"] == "application/json"
        sent = received[0]["json"]
        assert sent["indicator"] == "hernieuwbaar" and sent["rule"] == "change" and sent["state"] == "2024:beyond"
        assert sent["region"]["code"] == "GM0014" and sent["value"] == pytest.approx(40.0)
        assert sent["unit"] == {"nl": "%", "en": "%"} and sent["trend"]["assessment"] == "improving"
        ingest_text(watched, "cijfers", MORE)  # 35 %: still more than 25 % above 2023, the same state: no repeat
        assert len(received) == 1


def test_a_failed_delivery_is_tried_again_and_then_not_repeated(watched: Store) -> None:
    spec = all_indicators(watched)[0]
    with webhook_server(status=503) as (url, received, answer):
        sub = alerts.subscribe(watched, spec, rule="crosses-target", webhook=url)
        ingest_text(watched, "cijfers", MORE)
        assert len(received) == 1
        [stored] = alerts.subscriptions(watched, spec.id)
        assert stored.last_state == "not-met" and "503" in (stored.last_error or "")
        answer[0] = 200
        assert [d.ok for d in alerts.evaluate(watched, spec)] == [True]
        assert alerts.evaluate(watched, spec) == []
        assert len(received) == 2 and alerts.subscriptions(watched, spec.id)[0].last_state == "met"
        alerts.unsubscribe(watched, sub.id)
        assert alerts.subscriptions(watched, spec.id) == []


def test_non_public_figures_never_leave_in_an_alert(watched: Store, mailbox: tuple[Mailbox, int]) -> None:
    box, _port = mailbox
    spec = all_indicators(watched)[0]
    watched.set_access("cijfers", "restricted", {"scope": "energie.intern", "reason": "5.1.2e"})
    alerts.subscribe(watched, spec, rule="crosses-target", email="extern@example.org")
    ingest_text(watched, "cijfers", MORE)
    body = box.messages[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "niet openbaar" in body and "37,7" not in body and "Waarde" not in body


def test_data_older_than_expected_sends_a_stale_alert_once(watched: Store) -> None:
    spec = all_indicators(watched)[0]
    with webhook_server() as (url, received, _answer):
        alerts.subscribe(watched, spec, rule="stale", webhook=url, today=date(2025, 3, 1))
        assert alerts.evaluate(watched, spec, today=date(2025, 6, 1)) == [], "2024's figure is not late yet"
        assert [d.state for d in alerts.evaluate(watched, spec, today=date(2026, 9, 1))] == ["stale:2024"]
        assert alerts.evaluate(watched, spec, today=date(2026, 10, 1)) == []
        assert len(received) == 1 and received[0]["json"]["state"] == "stale:2024"


def test_subscriptions_are_checked(watched: Store) -> None:
    spec = all_indicators(watched)[0]
    with pytest.raises(alerts.InvalidInput, match="one e-mail address or one webhook URL"):
        alerts.subscribe(watched, spec, rule="crosses-target")
    with pytest.raises(alerts.InvalidInput, match="needs a threshold"):
        alerts.subscribe(watched, spec, rule="change", email="a@b.nl")
    with pytest.raises(alerts.InvalidInput, match="rule 'rises' is not one of"):
        alerts.subscribe(watched, spec, rule="rises", email="a@b.nl")
    with pytest.raises(alerts.InvalidInput, match="is not an http"):
        alerts.subscribe(watched, spec, rule="stale", webhook="file:///etc/passwd")
