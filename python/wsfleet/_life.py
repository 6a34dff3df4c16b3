"""The life of a connection, in words, for the run report: what heartbeats cost, the half-open
connections they found (and how fast), the connections idle timeouts cut, the load the servers
shed, and what pub/sub delivered (drops, slow consumers, memory crashes, continuity).

`connection_life(summary, scenario, fleet)` reads summary.json (the dict), the effective
scenario.toml (parsed) and the fleet rows of the time series, and returns one `Topic` per mechanism
that left a trace in the run; a mechanism without data is left out, and a run with none of them
gets an empty list (the report then has no such section). Pure Python, like the rest of the report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional

import pandas as pd

from .policies import backoff_honours_retry_after
from .views import Scenario, Summary, View
from ._format import num
from ._describe import as_float, fmt_int, fmt_mib, fmt_ms, fmt_num, fmt_pct, fmt_seconds, fmt_share, pluralise
from .views import COLUMNS as C

__all__ = ["Topic", "connection_life", "heartbeat_cpu_seconds", "bits_per_second", "num"]


@dataclass
class Topic:
    """One mechanism: a title, sentences a planner reads, and the figures behind them."""
    key: str                        # "heartbeats", "half_open", "idle", "shedding", "pubsub"
    title: str
    sentences: List[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)


def bits_per_second(bits: float) -> str:
    """52300 -> "52.3 kbit/s"."""
    for unit, scale in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if abs(bits) >= scale:
            return f"{fmt_num(bits / scale)} {unit}"
    return f"{fmt_num(bits)} bit/s"


def heartbeat_cpu_seconds(summary: Mapping[str, Any], scenario: Mapping[str, Any]) -> Optional[float]:
    """CPU time the servers spent on ping exchanges: exchanges answered x fleet.cpu.heartbeat_us."""
    cost_us = as_float(Scenario(scenario).fleet.cpu.heartbeat_us)
    delivered = as_float(Summary(summary).heartbeats.delivered)
    if cost_us is None or delivered is None:
        return None
    return delivered * cost_us * 1e-6


def _cpu_capacity_seconds(s: View) -> Optional[float]:
    """Core-seconds the fleet had, as the engine counted them (summary.json's
    cpu.capacity_core_seconds: each server's cores while it was part of the fleet); None in a
    summary written before the engine wrote it."""
    capacity = as_float(s.cpu.capacity_core_seconds)
    return capacity if capacity is not None and capacity > 0 else None


def _cpu_busy_seconds(s: View) -> Optional[float]:
    """CPU seconds the whole fleet was busy over the run."""
    capacity = _cpu_capacity_seconds(s)
    mean = as_float(s.cpu.mean_utilisation)
    return None if capacity is None or mean is None else mean * capacity


def _heartbeats(s: View, sc: View, summary: Mapping[str, Any], scenario: Mapping[str, Any],
                fleet: pd.DataFrame) -> Optional[Topic]:
    hb = s.heartbeats
    if num(hb.sent) <= 0:
        return None
    t = Topic("heartbeats", "What heartbeats cost")
    interval = as_float(sc.clients.heartbeat_interval_s)
    sender, mode, preset = sc.heartbeat.sender, sc.heartbeat.mode, sc.heartbeat.preset
    who = f"the {sender}s ping" if sender in ("client", "server") else "pings go"
    how = (f"after {fmt_seconds(interval)} without any frame" if mode == "when_idle"
           else f"every {fmt_seconds(interval)}") if interval else ""
    named = f" ({preset} defaults)" if preset else ""
    sent, delivered = num(hb.sent), num(hb.delivered)
    per_message = as_float(hb.per_message)
    t.figures.update(sent=sent, per_message=per_message)
    first = f"{fmt_int(sent)} ping exchanges: {who} {how}{named}".replace("  ", " ")
    if per_message is not None:
        first += (f", {fmt_num(per_message)} per data message" + (
            " — more heartbeat frames than data messages" if per_message > 1 else ""))
    t.sentences.append(first + ".")

    cpu = heartbeat_cpu_seconds(summary, scenario)
    busy = _cpu_busy_seconds(s)
    capacity = _cpu_capacity_seconds(s)
    if cpu is not None:
        share = cpu / busy if busy else None
        t.figures.update(cpu_s=cpu, cpu_share=share, cpu_capacity_share=cpu / capacity if capacity else None)
        text = f"Answering them took {fmt_num(cpu)} s of server CPU"
        if share is not None:
            text += f": {fmt_share(share)} of all the CPU work the servers did"
            if capacity:
                text += f" ({fmt_share(cpu / capacity)} of the fleet's CPU capacity)"
        t.sentences.append(text + ".")

    hb_bytes = as_float(hb.bytes)
    seconds = as_float(s.simulated_seconds)
    if hb_bytes is not None and seconds:
        rate = 8.0 * hb_bytes / seconds
        t.figures.update(bits_per_s=rate)
        text = f"On the wire: {bits_per_second(rate)} on average"
        open_conns = None
        if C.connections in fleet.columns and not fleet.empty:
            open_conns = as_float(fleet[C.connections].mean())
        if open_conns:
            t.figures.update(bits_per_s_per_connection=rate / open_conns)
            text += f", {bits_per_second(rate / open_conns)} per open connection"
        msg_bytes = as_float(sc.clients.message_bytes)
        replies = as_float(sc.clients.replies_per_message) or 0.0
        sent_msgs = as_float(s.messages.sent)
        if msg_bytes is not None and sent_msgs is not None:
            data = sent_msgs * msg_bytes * (1.0 + replies)
            if data + hb_bytes > 0:
                t.figures.update(bytes_share=hb_bytes / (data + hb_bytes))
                text += f" — {fmt_share(hb_bytes / (data + hb_bytes))} of all WebSocket traffic"
        t.sentences.append(text + ".")
    if delivered < sent:
        t.sentences.append(f"{fmt_int(sent - delivered)} pings were not answered (dropped with their "
                           "connection or still queued at the end).")
    return t


def _half_open(s: View, sc: View, fleet: pd.DataFrame) -> Optional[Topic]:
    vanished = num(s.connections.vanished)
    detected = num(s.heartbeats.half_open_detected)
    at_end = num(s.heartbeats.half_open_at_end)
    if vanished <= 0 and detected <= 0 and at_end <= 0:
        return None
    t = Topic("half_open", "Half-open connections (dead peers)")
    t.figures.update(vanished=vanished, detected=detected, at_end=at_end)
    share = as_float(sc.clients.vanish_share)
    t.sentences.append(
        f"{fmt_int(vanished)} sessions ended without a close (the client's network dropped"
        + (f"; {fmt_share(share)} of session ends" if share else "")
        + "): the client reconnected, but its server kept the old connection, its slot and its memory.")
    det = s.heartbeats.detection_s
    if detected > 0:
        t.figures.update(detection={"mean": as_float(det.mean), "p50": as_float(det.p50), "p99": as_float(det.p99),
                                    "max": as_float(det.max)})
        t.sentences.append(
            f"The servers found and closed {fmt_int(detected)} of them; detection took "
            f"{fmt_seconds(det.p50)} at the median, {fmt_seconds(det.p99)} at p99 and "
            f"{fmt_seconds(det.max)} at most (mean {fmt_seconds(det.mean)}).")
    else:
        t.sentences.append("Nothing found any of them: no server pings and no receiver timeout "
                           "(heartbeat.peer_timeout_s) watch these connections, so they pile up until the "
                           "servers are restarted or full.")
    if C.half_open in fleet.columns and not fleet.empty and fleet[C.half_open].notna().any():
        peak = float(fleet[C.half_open].max())
        when = float(fleet.loc[fleet[C.half_open].idxmax(), C.time_s])
        mean = float(fleet[C.half_open].mean())
        t.figures.update(peak=peak, peak_time_s=when, mean=mean)
        open_conns = as_float(fleet[C.connections].mean()) if C.connections in fleet.columns else None
        text = (f"At any moment {fmt_num(mean)} dead connections were held on average, {fmt_int(peak)} at "
                f"most (at {fmt_seconds(when)})")
        if open_conns:
            text += f": {fmt_pct(mean, open_conns)} of the live ones, slots a planner must count as used"
        t.sentences.append(text + ".")
    if at_end > 0:
        t.sentences.append(f"{fmt_int(at_end)} were still held at the end of the run.")
    return t


def _idle(s: View, sc: View) -> Optional[Topic]:
    cut = num(s.connections.idle_cut)
    closed = num(s.connections.idle_closed)
    if cut <= 0 and closed <= 0:
        return None
    t = Topic("idle", "Idle timeouts")
    t.figures.update(idle_cut=cut, idle_closed=closed)
    established = num(s.connections.established)
    if cut > 0:
        timeout = as_float(sc.balancer.idle_timeout_s)
        interval = as_float(sc.clients.heartbeat_interval_s)
        why = ("no heartbeat keeps them busy" if not interval else
               f"heartbeats every {fmt_seconds(interval)} are not more frequent than the timeout")
        t.sentences.append(
            f"The balancer cut {fmt_int(cut)} connections that carried no frame for "
            f"{fmt_seconds(timeout) if timeout else 'its idle timeout'} ({why}); each client reconnected, "
            f"which cost a handshake: {fmt_pct(cut, established)} of all established connections. "
            "A heartbeat interval below the shortest idle timeout on the path avoids this.")
    if closed > 0:
        limit = as_float(sc.fleet.idle_close_s)
        t.sentences.append(
            f"The servers' idle policy closed {fmt_int(closed)} connections without a data message for "
            f"{fmt_seconds(limit) if limit else 'the idle limit'} (heartbeats do not count); their clients "
            "reconnected.")
    return t


def _honours_retry_after(sc: View) -> bool:
    """Whether the scenario's clients wait for a shedding server's Retry-After (clients.honour_retry_after)."""
    mode = sc.clients.honour_retry_after
    if mode in ("on", "off"):
        return mode == "on"
    return bool(backoff_honours_retry_after(str(sc.backoff.policy)))


def _shedding(s: View, sc: View) -> Optional[Topic]:
    shed = num(s.connections.rejected_by.shed)
    rebalanced = num(s.connections.rebalanced)
    if shed <= 0 and rebalanced <= 0:
        return None
    t = Topic("shedding", "Load shedding and rebalancing")
    t.figures.update(shed=shed, rebalanced=rebalanced)
    if shed > 0:
        adm = sc.fleet.admission
        rules = []
        rate = as_float(adm.max_handshakes_per_s)
        backlog = as_float(adm.reject_above_backlog_ms)
        if rate:
            rules.append(f"above {fmt_num(rate)} handshakes per second per server")
        if backlog:
            rules.append(f"while a server's CPU queue was longer than {fmt_num(backlog)} ms")
        retry = as_float(adm.retry_after_s)
        cost = as_float(adm.reject_us)
        text = (f"Admission control refused {fmt_int(shed)} connection attempts "
                f"({fmt_pct(shed, num(s.connections.attempted))} of attempts)")
        if rules:
            text += " " + " or ".join(rules)
        if cost is not None:
            text += f", at {fmt_num(cost)} µs of CPU each instead of a full handshake"
        text += "."
        if retry and _honours_retry_after(sc):
            text += f" The refused clients waited at least the Retry-After of {fmt_seconds(retry)} before retrying."
        elif retry:
            text += (f" The refused clients did not wait for the Retry-After of {fmt_seconds(retry)}: their library "
                     "does not read it (clients.honour_retry_after); their backoff alone set their next attempt.")
        t.sentences.append(text)
    if rebalanced > 0:
        tol = as_float(sc.fleet.rebalance.tolerance)
        t.sentences.append(
            f"Rebalancing closed {fmt_int(rebalanced)} connections on servers holding more than the fleet's "
            f"mean{f' + {fmt_share(tol)}' if tol is not None else ''}; their clients reconnected through the "
            "balancer, onto the emptier servers.")
    return t


#: The copies that never reached their client, by cause (attributes of Summary.pubsub.copies).
_DROP_CAUSES = (("dropped_full", "refused by a full send buffer"),
                ("dropped_oldest", "pushed out of a full buffer by newer ones (drop oldest)"),
                ("dropped_volatile", "volatile sends skipped while the link was busy"),
                ("conflated", "replaced by a newer message on their channel (conflation)"),
                ("discarded", "thrown away with the buffer of a closed connection or a dead server"))


def _pubsub(s: View, sc: View) -> Optional[Topic]:
    ps = s.pubsub
    if ps is None:  # a run without [pubsub]
        return None
    t = Topic("pubsub", "Pub/sub: fan-out, slow consumers and continuity")
    pub = ps.publications
    published, feeds, clients = num(pub.published), num(pub.from_feeds), num(pub.from_clients)
    t.figures.update(published=published)
    origin = [f"{fmt_int(n)} {what}" for n, what in ((feeds, "from server-side feeds"), (clients, "from clients")) if n > 0]
    text = f"{fmt_int(published)} publications" + (f" ({', '.join(origin)})" if origin else "")
    failed, in_broker = num(pub.publish_failed), num(pub.lost_in_broker)
    if failed > 0 or in_broker > 0:
        text += (f"; the broker refused {fmt_int(failed)} while it was down and lost {fmt_int(in_broker)} "
                 "it held when it failed")
    t.sentences.append(text + ".")

    copies = ps.copies
    created, delivered = num(copies.created), num(copies.delivered)
    lat = ps.latency_ms
    t.figures.update(copies=created, delivered=delivered, latency_p50_ms=as_float(lat.p50),
                     latency_p99_ms=as_float(lat.p99))
    text = (f"The servers made {fmt_int(created)} copies for subscribers and wrote {fmt_int(delivered)} of them "
            f"to their clients ({fmt_pct(delivered, created)})")
    if as_float(lat.p50) is not None:
        text += (f"; from publication to delivery {fmt_ms(lat.p50)} at the median and "
                 f"{fmt_ms(lat.p99)} at p99")
    t.sentences.append(text + ".")

    drops = {key: num(getattr(copies, key)) for key, _ in _DROP_CAUSES}
    total = sum(drops.values())
    t.figures.update(dropped=total, drops=drops)
    if total > 0:
        causes = [f"{fmt_int(drops[key])} {label}" for key, label in _DROP_CAUSES if drops[key] > 0]
        t.sentences.append(f"{fmt_int(total)} copies never reached their client: " + "; ".join(causes) + ".")
    else:
        t.sentences.append("No copy was dropped.")

    slow = ps.slow_consumers
    closed, crashes = num(slow.closed), num(slow.memory_crashes)
    peak = as_float(slow.peak_server_buffered_mib)
    t.figures.update(slow_closed=closed, memory_crashes=crashes, peak_buffered_mib=peak)
    if closed > 0:
        t.sentences.append(f"{fmt_int(closed)} slow consumers were disconnected because their send buffer "
                           "passed its limit; they reconnected.")
    if crashes > 0:
        limit = as_float(sc.fleet.memory_limit_mib)
        t.sentences.append(
            f"Send buffers ran {fmt_int(crashes)} {pluralise(crashes, 'server')} out of memory"
            + (f" (fleet.memory_limit_mib = {fmt_mib(limit)})" if limit else "")
            + ": each was killed with all its connections, which reconnected elsewhere.")
    if peak:
        t.sentences.append(f"At the peak one server held {fmt_mib(peak)} of unsent messages.")

    cont = ps.continuity
    lost, dup, out_of_order = num(cont.lost), num(cont.duplicated), num(cont.out_of_order)
    exactly = bool(cont.exactly_once)
    t.figures.update(lost=lost, duplicated=dup, exactly_once=exactly, out_of_order=out_of_order,
                     recovered_resume=num(cont.recovered_resume), recovered_history=num(cont.recovered_history))
    text = (f"Of the {fmt_int(num(cont.expected))} messages the subscribers should have seen, "
            f"{fmt_int(num(cont.in_order))} arrived live and in order")
    for count, what in ((num(cont.recovered_resume), "were recovered by resuming the session"),
                        (num(cont.recovered_history), "were fetched from history")):
        if count > 0:
            text += f", {fmt_int(count)} {what}"
    text += f"; {fmt_int(lost)} were lost and {fmt_int(dup)} duplicated"
    if out_of_order > 0:
        text += f", {fmt_int(out_of_order)} arrived out of order"
    text += (". Exactly-once delivery held." if exactly else ". Exactly-once delivery did not hold.")
    t.sentences.append(text)

    res = ps.resume
    attempts = num(res.attempts)
    if attempts > 0:
        window = as_float(sc.pubsub.resume.window_s)
        t.figures.update(resume_attempts=attempts, resumed=num(res.resumed),
                         resume_success_rate=as_float(res.success_rate))
        text = (f"{fmt_int(attempts)} reconnections tried to resume"
                + (f" within the {fmt_seconds(window)} window" if window else "")
                + f": {fmt_int(num(res.resumed))} succeeded ({fmt_share(res.success_rate)})")
        late, evicted = num(res.too_late), num(res.evicted)
        if late > 0:
            text += f", {fmt_int(late)} came too late"
        if evicted > 0:
            text += f", {fmt_int(evicted)} found their messages gone from the cache"
        t.sentences.append(text + ".")
    fetches = num(res.history_fetches)
    if fetches > 0:
        t.sentences.append(f"Clients fetched missed messages from history {fmt_int(fetches)} times.")
    return t


def connection_life(summary: Mapping[str, Any], scenario: Mapping[str, Any],
                    fleet: Optional[pd.DataFrame] = None) -> List[Topic]:
    """The topics with data in this run, in the order a connection meets them."""
    frame = fleet if fleet is not None else pd.DataFrame()
    s, sc = Summary(summary), Scenario(scenario)
    topics = [_heartbeats(s, sc, summary, scenario, frame), _half_open(s, sc, frame), _idle(s, sc), _shedding(s, sc),
              _pubsub(s, sc)]
    return [t for t in topics if t is not None]
