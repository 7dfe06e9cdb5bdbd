"""Alerts: a rule per indicator and subscriber, evaluated after every computation, sent once per new state.

Rules: `crosses-target` (the value moves from meeting its target to missing it, or back), `change` (the newest
value differs from the one before by more than `threshold` percent) and `stale` (the newest value is older than
this kind of figure is normally known). Each subscription remembers the last state it saw; an alert goes out
only when that state changes into one worth telling, and the state is recorded only once the alert was
delivered, so a failed delivery is tried again at the next evaluation and a delivered one is never repeated.
A subscription's first state is recorded without an alert.

Delivery is by e-mail (SMTP at `settings.smtp_url`) or webhook (a JSON POST). Subscribers outside the
organisation may receive alerts, so the card's figures travel only for indicators anyone may see; others get a
link and the state alone.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from babel.numbers import format_decimal
from sqlalchemy import select

from wierde import __version__
from wierde.catalog import vocab
from wierde.config import Settings
from wierde.errors import InvalidInput, NotFound, WierdeError
from wierde.monitor import periods
from wierde.monitor.card import Card, card_for
from wierde.monitor.models import AlertSubscription, Subscription
from wierde.monitor.names import region_names
from wierde.monitor.spec import IndicatorSpec
from wierde.protect import access
from wierde.regions.codes import RegionCodeError, validate_code
from wierde.store.models import utcnow
from wierde.store.repository import Store

RULES = ("crosses-target", "change", "stale")
WEBHOOK_TIMEOUT = 10.0
SMTP_TIMEOUT = 10.0
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    subscription: int
    state: str
    channel: str  # email | webhook
    ok: bool
    error: str | None = None


# --- subscriptions -----------------------------------------------------------------------------------------


def _check(spec: IndicatorSpec, rule: str, email: str | None, webhook: str | None, region: str | None,
           threshold: float | None) -> None:
    if rule not in RULES:
        raise InvalidInput(f"rule {rule!r} is not one of {', '.join(RULES)}")
    if (email is None) == (webhook is None):
        raise InvalidInput("give one e-mail address or one webhook URL per subscription")
    if email is not None and not _EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    if webhook is not None and not vocab.is_uri(webhook):
        raise InvalidInput(f"{webhook!r} is not an http(s) URL")
    if rule == "change" and (threshold is None or threshold <= 0):
        raise InvalidInput("the change rule needs a threshold: a percentage above 0")
    if region is not None and spec.group(region) is None:
        try:
            validate_code(region)
        except RegionCodeError as error:
            raise InvalidInput(f"region: {error.detail}") from None


def subscribe(store: Store, spec: IndicatorSpec, *, rule: str, email: str | None = None,
              webhook: str | None = None, region: str | None = None, threshold: float | None = None,
              lang: str = "nl", today: date | None = None) -> Subscription:
    """Add a subscription; its current state is recorded now, so only later changes send an alert."""
    _check(spec, rule, email, webhook, region, threshold)
    state = _state_now(store, spec, rule, region, threshold, today)
    with store.session() as session:
        row = AlertSubscription(indicator_id=spec.id, rule=rule, threshold=threshold, region=region, email=email,
                                webhook_url=webhook, lang=lang if lang in ("nl", "en") else "nl",
                                created_at=utcnow(), last_state=state, last_state_at=utcnow())
        session.add(row)
        session.flush()
        return Subscription.of(row)


def unsubscribe(store: Store, subscription_id: int) -> None:
    with store.session() as session:
        row = session.get(AlertSubscription, subscription_id)
        if row is None:
            raise NotFound(f"subscription {subscription_id} does not exist")
        session.delete(row)


def subscriptions(store: Store, indicator_id: str | None = None) -> list[Subscription]:
    with store.session() as session:
        query = select(AlertSubscription).order_by(AlertSubscription.id)
        if indicator_id is not None:
            query = query.where(AlertSubscription.indicator_id == indicator_id)
        return [Subscription.of(row) for row in session.scalars(query)]


def _record(store: Store, subscription_id: int, *, state: str | None = None, sent: bool = False,
            error: str | None = None) -> None:
    with store.session() as session:
        row = session.get(AlertSubscription, subscription_id)
        if row is None:
            return
        if state is not None:
            row.last_state, row.last_state_at = state, utcnow()
        if sent:
            row.last_sent_at = utcnow()
        row.last_error = error


# --- rules -------------------------------------------------------------------------------------------------


def _previous_value(card: Card) -> float | None:
    known = [r for r in card.series if r.value is not None]
    return known[-2].value if len(known) >= 2 else None


def state_of(rule: str, card: Card, threshold: float | None, today: date | None = None) -> str:
    """The rule's state for this card: met / not-met, <period>:beyond / <period>:within, stale / fresh."""
    period = card.period or "-"
    if rule == "crosses-target":
        if card.target is None or card.target.met is None:
            return "no-target"
        return "met" if card.target.met else "not-met"
    if rule == "change":
        before = _previous_value(card)
        now = card.current.value if card.current else None
        if before is None or now is None or before == 0:
            return f"{period}:unknown"
        change = 100 * (now - before) / abs(before)
        return f"{period}:{'beyond' if abs(change) > (threshold or 0) else 'within'}"
    return f"{'stale' if card.stale(today) else 'fresh'}:{period}"


def worth_telling(rule: str, previous: str | None, state: str) -> bool:
    if previous is None or previous == state:
        return False
    if rule == "crosses-target":
        return {previous, state} == {"met", "not-met"}
    if rule == "change":
        return state.endswith(":beyond")
    return state.startswith("stale:")


def _card(store: Store, spec: IndicatorSpec, region: str | None) -> Card | None:
    try:
        return card_for(store, spec, region, region_names(store, access.public))
    except NotFound:
        return None


def _state_now(store: Store, spec: IndicatorSpec, rule: str, region: str | None, threshold: float | None,
               today: date | None) -> str:
    card = _card(store, spec, region)
    return "no-data" if card is None else state_of(rule, card, threshold, today)


# --- evaluation --------------------------------------------------------------------------------------------


def evaluate(store: Store, spec: IndicatorSpec, *, today: date | None = None) -> list[Delivery]:
    """Check every subscription of the indicator; deliver alerts for new states worth telling."""
    deliveries = []
    for sub in subscriptions(store, spec.id):
        card = _card(store, spec, sub.region)
        if card is None:
            continue
        state = state_of(sub.rule, card, sub.threshold, today)
        if state == sub.last_state:
            continue
        if not worth_telling(sub.rule, sub.last_state, state):
            _record(store, sub.id, state=state)
            continue
        delivery = deliver(store, spec, sub, card, state)
        if delivery.ok:
            _record(store, sub.id, state=state, sent=True)
        else:
            _record(store, sub.id, error=delivery.error)
            log.warning("alert %s for indicator %s not delivered: %s", sub.id, spec.id, delivery.error)
        deliveries.append(delivery)
    return deliveries


def is_public(store: Store, spec: IndicatorSpec) -> bool:
    """May anyone see the indicator and everything it is computed from?"""
    try:
        datasets = [store.dataset(d) for d in (spec.dataset_id, *spec.inputs)]
    except NotFound:
        return False
    return all(access.public(d) for d in datasets)


def deliver(store: Store, spec: IndicatorSpec, sub: Subscription, card: Card, state: str) -> Delivery:
    message = alert_payload(store.settings, spec, sub, card, state, figures=is_public(store, spec))
    try:
        if sub.email is not None:
            send_email(store.settings, sub.email, spec, message, sub.lang)
        elif sub.webhook_url is not None:
            post_webhook(sub.webhook_url, message)
    except (OSError, smtplib.SMTPException, httpx.HTTPError, WierdeError) as error:
        text = error.detail if isinstance(error, WierdeError) else f"{type(error).__name__}: {error}"
        return Delivery(sub.id, state, "email" if sub.email else "webhook", False, text)
    return Delivery(sub.id, state, "email" if sub.email else "webhook", True)


# --- the message -------------------------------------------------------------------------------------------

SUBJECTS = {
    "met": {"nl": "{name}: doel gehaald ({region})", "en": "{name}: target met ({region})"},
    "not-met": {"nl": "{name}: doel niet gehaald ({region})", "en": "{name}: target not met ({region})"},
    "beyond": {"nl": "{name}: grote verandering ({region}, {period})",
               "en": "{name}: large change ({region}, {period})"},
    "stale": {"nl": "{name}: gegevens verouderd ({region})", "en": "{name}: data out of date ({region})"},
}
LINES = {
    "value": {"nl": "Waarde", "en": "Value"}, "target": {"nl": "Doel", "en": "Target"},
    "trend": {"nl": "Trend", "en": "Trend"}, "source": {"nl": "Bron van het doel", "en": "Target source"},
    "more": {"nl": "Bekijk de indicator", "en": "See the indicator"},
    "hidden": {"nl": "De cijfers van deze indicator zijn niet openbaar; meld u aan om ze te zien.",
               "en": "This indicator's figures are not public; sign in to see them."},
}
TRENDS = {"improving": {"nl": "verbetert", "en": "improving"}, "worsening": {"nl": "verslechtert", "en": "worsening"},
          "stable": {"nl": "stabiel", "en": "stable"}}


def _text(texts: Mapping[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("nl") or next(iter(texts.values()), "")


def _number(value: float | None, decimals: int, lang: str) -> str:
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0" + ("." + "0" * decimals if decimals else ""), locale=lang)


def alert_payload(settings: Settings, spec: IndicatorSpec, sub: Subscription, card: Card, state: str, *,
                  figures: bool) -> dict[str, Any]:
    """The card's data as the webhook's JSON body; the e-mail is written from the same dictionary."""
    link = f"{settings.base_url.rstrip('/')}/indicators/{spec.id}?region={card.region.code}"
    payload: dict[str, Any] = {
        "indicator": spec.id, "name": dict(spec.name), "rule": sub.rule, "state": state,
        "region": {"code": card.region.code, "name": dict(card.region.names)}, "period": card.period,
        "url": link, "sentAt": datetime.now().astimezone().isoformat(timespec="seconds"), "figures": figures,
    }
    if figures:
        target = card.target
        payload.update({
            "value": card.current.value if card.current else None, "unit": dict(spec.unit),
            "status": card.current.status if card.current else None,
            "target": None if target is None else {"value": target.value, "year": target.year,
                                                   "distance": target.distance, "met": target.met,
                                                   "source": dict(target.source)},
            "trend": {"direction": card.trend.direction, "assessment": card.trend.assessment},
        })
    return payload


def email_text(spec: IndicatorSpec, payload: Mapping[str, Any], lang: str) -> tuple[str, str]:
    """Subject and plain-text body in the subscriber's language."""
    region = _text(payload["region"]["name"], lang) or payload["region"]["code"]
    period = periods.label(payload["period"], lang) if payload.get("period") else "–"
    key = payload["state"].split(":")[-1] if payload["rule"] == "change" else payload["state"].split(":")[0]
    subject = _text(SUBJECTS.get(key, SUBJECTS["stale"]), lang).format(name=_text(spec.name, lang), region=region,
                                                                        period=period)
    lines = [_text(spec.name, lang), f"{region} · {period}", ""]
    if payload["figures"]:
        unit = _text(payload["unit"], lang)
        lines.append(f"{_text(LINES['value'], lang)}: {_number(payload['value'], spec.decimals, lang)} {unit}")
        target = payload.get("target")
        if target:
            lines.append(f"{_text(LINES['target'], lang)} {target['year']}: "
                         f"{_number(target['value'], spec.decimals, lang)} {unit}")
            lines.append(f"{_text(LINES['source'], lang)}: {_text(target['source'], lang)}")
        assessment = payload["trend"]["assessment"]
        if assessment:
            lines.append(f"{_text(LINES['trend'], lang)}: {_text(TRENDS[assessment], lang)}")
    else:
        lines.append(_text(LINES["hidden"], lang))
    lines += ["", f"{_text(LINES['more'], lang)}: {payload['url']}"]
    return subject, "\n".join(lines) + "\n"


# --- channels ----------------------------------------------------------------------------------------------


def send_email(settings: Settings, to: str, spec: IndicatorSpec, payload: Mapping[str, Any], lang: str) -> None:
    """Send through `settings.smtp_url` (smtp://[user:password@]host[:port], smtps://…; ?starttls=true)."""
    if not settings.smtp_url:
        raise InvalidInput("no smtp_url is set, so e-mail alerts cannot be sent")
    subject, body = email_text(spec, payload, lang)
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, settings.mail_from, to
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="wierde.invalid")
    message["User-Agent"] = f"Wierde/{__version__}"
    message.set_content(body)
    _smtp_send(settings.smtp_url, message)


def _smtp_send(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise InvalidInput(f"smtp_url {url!r}: expected smtp://host:port or smtps://host:port")
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    client_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with client_class(parts.hostname, port, timeout=SMTP_TIMEOUT) as client:
        if "starttls=true" in parts.query.lower():
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def post_webhook(url: str, payload: Mapping[str, Any]) -> None:
    response = httpx.post(url, json=dict(payload), timeout=WEBHOOK_TIMEOUT, follow_redirects=False,
                          headers={"User-Agent": f"Wierde/{__version__}"})
    response.raise_for_status()
