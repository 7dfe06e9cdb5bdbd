"""Commands for indicators: list and show them, compute them (which also evaluates alerts), manage alert subscribers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from wierde.cli.common import Home, JsonOut, app, clear_errors, console, emit_json, open_store
from wierde.errors import InvalidInput

if TYPE_CHECKING:
    from wierde.monitor.card import Card
    from wierde.monitor.spec import IndicatorSpec
    from wierde.store.repository import Store

indicators_app = typer.Typer(help="Indicators: policy measures with targets, trends and alerts (indicators.yaml).",
                             no_args_is_help=True)
app.add_typer(indicators_app, name="indicators")
FAILED = 6  # as views and harvests: the command ran, but some of the work did not succeed


def _store(home: Path | None) -> Store:
    from wierde.monitor.auto import subscribe

    return subscribe(open_store(home))


def _card(store: Store, spec: IndicatorSpec, region: str | None) -> Card | None:
    from wierde.errors import NotFound
    from wierde.monitor.card import card_for
    from wierde.monitor.names import region_names

    try:
        return card_for(store, spec, region, region_names(store, lambda _d: True))
    except NotFound:
        return None


def _nl(texts: Any) -> str:
    return str(texts.get("nl") or next(iter(texts.values()), "")) if texts else ""


def _card_json(spec: IndicatorSpec, card: Card | None) -> dict[str, Any]:
    from wierde.monitor.outputs import indicator_out

    if card is None:
        return {"id": spec.id, "name": dict(spec.name), "unit": dict(spec.unit), "value": None}
    return indicator_out(card).model_dump(by_alias=True) | {"version": card.version.number}


@indicators_app.command("list")
@clear_errors
def list_(home: Home = None, as_json: JsonOut = False) -> None:
    """Every indicator with its current value (default region), target and trend."""
    from wierde.monitor.compute import all_indicators

    store = _store(home)
    pairs = [(spec, _card(store, spec, None)) for spec in all_indicators(store)]
    if as_json:
        emit_json([_card_json(spec, card) for spec, card in pairs])
        return
    table = Table("id", "name", "region", "period", "value", "target", "trend", "version")
    for spec, card in pairs:
        if card is None:
            table.add_row(spec.id, _nl(spec.name), "-", "-", "not computed", "-", "-", "-")
            continue
        now = card.current.value if card.current else None
        value = "-" if now is None else f"{now:,.{spec.decimals}f}"
        target = "-" if card.target is None else (f"{card.target.value:,.{spec.decimals}f} in {card.target.year}"
                                                  + (" (met)" if card.target.met else ""))
        table.add_row(spec.id, _nl(spec.name), card.region.code, card.period or "-", f"{value} {_nl(spec.unit)}",
                      target, card.trend.assessment or "-", str(card.version.number))
    console.print(table)


@indicators_app.command("show")
@clear_errors
def show(
    indicator_id: Annotated[str, typer.Argument(help="The indicator's id.")],
    region: Annotated[str | None, typer.Option("--region", help="A region code or group (default: its own).")] = None,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """An indicator's card for one region: value, target, trend, comparison, and its alert subscriptions."""
    from wierde.monitor.alerts import subscriptions
    from wierde.monitor.compute import all_indicators
    from wierde.monitor.spec import find_indicator

    store = _store(home)
    spec = find_indicator(all_indicators(store), indicator_id)
    card = _card(store, spec, region)
    subs = subscriptions(store, spec.id)
    if as_json:
        emit_json({**_card_json(spec, card), "definition": dict(spec.definition), "inputs": list(spec.inputs),
                   "series": [{"period": r.period, "value": r.value, "status": r.status, "flag": r.flag}
                              for r in (card.series if card else ())],
                   "subscriptions": [_sub_json(s) for s in subs]})
        return
    console.print(f"[bold]{spec.id}[/] — {_nl(spec.name)} ({_nl(spec.unit)})")
    console.print(_nl(spec.definition), highlight=False)
    console.print(f"inputs: {', '.join(spec.inputs)}; {spec.granularity}; levels: {', '.join(spec.levels)}")
    if card is None:
        console.print("[yellow]not computed yet[/]: run `wierde indicators compute " + spec.id + "`")
    else:
        table = Table("period", "value", "status", "target", title=f"{card.region.name()} ({card.region.code})")
        for row in card.series:
            table.add_row(row.period, "-" if row.value is None else f"{row.value:,.{spec.decimals}f}",
                          ", ".join(x for x in (row.status, row.flag) if x), "" if row.target is None else
                          f"{row.target:,.{spec.decimals}f}")
        console.print(table)
        console.print(f"trend: {card.trend.direction or '-'} ({card.trend.assessment or 'too few periods'})")
    for sub in subs:
        console.print(f"subscription {sub.id}: {sub.rule}{f' > {sub.threshold} %' if sub.threshold else ''} → "
                      f"{sub.email or sub.webhook_url} (state {sub.last_state or '-'}"
                      + (f"; [red]last error[/] {sub.last_error}" if sub.last_error else "") + ")", highlight=False)


def _sub_json(sub: Any) -> dict[str, Any]:
    return {"id": sub.id, "indicator": sub.indicator_id, "rule": sub.rule, "threshold": sub.threshold,
            "region": sub.region, "email": sub.email, "webhook": sub.webhook_url, "lang": sub.lang,
            "state": sub.last_state, "lastSentAt": sub.last_sent_at, "lastError": sub.last_error}


@indicators_app.command("compute")
@clear_errors
def compute(
    indicator_ids: Annotated[list[str] | None, typer.Argument(help="Indicators to compute.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Compute every indicator.")] = False,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Compute indicators from their inputs' current versions and send the alerts that are due (non-zero exit when
    any fails). Run it from cron to catch data that grows old without changing."""
    from wierde.errors import WierdeError
    from wierde.monitor.auto import compute_and_alert
    from wierde.monitor.compute import all_indicators
    from wierde.monitor.spec import find_indicator

    if bool(indicator_ids) == all_:
        raise InvalidInput("name indicators or give --all")
    store = _store(home)
    specs = all_indicators(store)
    chosen = specs if all_ else [find_indicator(specs, i) for i in indicator_ids or []]
    done, failed = [], []
    for spec in chosen:
        try:
            done.append(compute_and_alert(store, spec))
        except WierdeError as error:
            failed.append(error)
    if as_json:
        emit_json({"computed": [{"indicator": r.indicator, "version": r.version.number, "created": r.created,
                                 "rows": r.version.row_count, "inputs": r.inputs, "seconds": r.seconds,
                                 "alerts": [{"subscription": d.subscription, "state": d.state, "ok": d.ok,
                                             "error": d.error} for d in deliveries]} for r, deliveries in done],
                   "failed": [{"indicator": e.extra.get("indicator"), "error": e.detail} for e in failed]})
    else:
        for result, deliveries in done:
            what = f"version {result.version.number}" if result.created else \
                f"unchanged, still version {result.version.number}"
            sent = sum(1 for d in deliveries if d.ok)
            console.print(f"[green]{result.indicator}[/]: {what}, {result.version.row_count:,} values"
                          + (f"; {sent} alert(s) sent" if sent else ""))
            for d in deliveries:
                if not d.ok:
                    console.print(f"[red]alert {d.subscription} not delivered:[/] {d.error}", highlight=False)
        for problem in failed:
            console.print(f"[red]failed:[/] {problem.detail}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(FAILED)


@indicators_app.command("subscribe")
@clear_errors
def subscribe(
    indicator_id: Annotated[str, typer.Argument(help="The indicator's id.")],
    email: Annotated[str | None, typer.Option("--email", help="Send alerts to this address (SMTP at smtp_url).")]
    = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST alerts as JSON to this URL.")] = None,
    rule: Annotated[str, typer.Option("--rule", help="crosses-target, change or stale.")] = "crosses-target",
    threshold: Annotated[float | None, typer.Option("--threshold", help="For --rule change: the percentage a value "
                                                                         "must change by.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="A region code or group (default: its own).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of e-mails: nl or en.")] = "nl",
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Subscribe an e-mail address or a webhook to an indicator's alert rule; the current state is recorded, so
    only a later change sends an alert."""
    from wierde.monitor import alerts
    from wierde.monitor.compute import all_indicators
    from wierde.monitor.spec import find_indicator

    store = _store(home)
    spec = find_indicator(all_indicators(store), indicator_id)
    sub = alerts.subscribe(store, spec, rule=rule, email=email, webhook=webhook, region=region, threshold=threshold,
                           lang=lang)
    if as_json:
        emit_json(_sub_json(sub))
        return
    console.print(f"Subscription [green]{sub.id}[/]: {sub.rule} on {spec.id} → {sub.email or sub.webhook_url} "
                  f"(current state: {sub.last_state})", highlight=False)


@indicators_app.command("unsubscribe")
@clear_errors
def unsubscribe(
    subscription_id: Annotated[int, typer.Argument(help="The subscription's number (see `indicators show`).")],
    home: Home = None,
) -> None:
    """Remove an alert subscription."""
    from wierde.monitor import alerts

    alerts.unsubscribe(_store(home), subscription_id)
    console.print(f"Subscription {subscription_id} removed")
