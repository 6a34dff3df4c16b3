// Pub/sub ([pubsub]): publications, fan-outs, copies, slow consumers, continuity, resume, and the
// channel joins of a client library that sends them (phoenix).
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

void pubsub_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  using P = models::PubSubOutcome;
  auto t = summary_rows(table);
  auto o = t.of(&R::pubsub);
  t.object("pubsub", "pub/sub ([pubsub] only)", [](const R& s) { return s.pubsub.enabled; });
  t.object("pubsub.publications", "publications (one per message published on a channel)");
  o.integer("pubsub.publications.published", &P::published, "publications", "accepted by the broker");
  o.integer("pubsub.publications.from_feeds", &P::from_feeds, "publications", "of published, by server-side feeds");
  o.integer("pubsub.publications.from_clients", &P::from_clients, "publications", "of published, by clients");
  o.integer("pubsub.publications.publish_failed", &P::publish_failed, "publications", "refused because the broker was down");
  o.integer("pubsub.publications.arrived", &P::arrived, "publications", "of published, reached the servers");
  o.integer("pubsub.publications.lost_in_broker", &P::lost_in_broker, "publications", "of published, queued in the broker when it went down");
  o.integer("pubsub.publications.in_broker_at_end", &P::in_broker_at_end, "publications", "of published, still on the way at the end");
  t.object("pubsub.fanouts", "server fan-outs (one per publication per receiving server)");
  o.integer("pubsub.fanouts.dispatched", &P::fanouts, "fan-outs", "dispatched");
  o.integer("pubsub.fanouts.done", &P::fanouts_done, "fan-outs", "processed");
  o.integer("pubsub.fanouts.lost", &P::fanouts_lost, "fan-outs", "in the queue of a server that crashed");
  o.integer("pubsub.fanouts.pending_at_end", &P::fanouts_pending_at_end, "fan-outs", "queued at the end");
  t.object("pubsub.copies", "copies (one per fan-out per subscribed connection)");
  o.integer("pubsub.copies.created", &P::copies, "copies", "created");
  o.integer("pubsub.copies.delivered", &P::delivered, "copies", "written to the client");
  o.integer("pubsub.copies.dropped_full", &P::dropped_full, "copies", "dropped by the buffer limit (drop_newest, uws)");
  o.integer("pubsub.copies.dropped_oldest", &P::dropped_oldest, "copies", "dropped from the buffer to make room (drop_oldest)");
  o.integer("pubsub.copies.dropped_volatile", &P::dropped_volatile, "copies", "volatile messages dropped while the connection was busy");
  o.integer("pubsub.copies.conflated", &P::conflated, "copies", "replaced in the buffer by a newer message on the channel");
  o.integer("pubsub.copies.discarded", &P::discarded, "copies", "unsent when the connection closed");
  o.integer("pubsub.copies.buffered_at_end", &P::buffered_at_end, "copies", "still in send buffers at the end");
  o.number("pubsub.copies.bytes_delivered", &P::bytes_delivered, "bytes", "bytes written to clients");
  o.latency("pubsub.latency_ms", &P::latency, "ms", "publish to written to the client (broker, server queue, buffer, network)");
  t.object("pubsub.slow_consumers", "what slow readers cost");
  t.integer("pubsub.slow_consumers.closed", [](const R& s) { return s.connections.slow_consumer; }, "connections", "closed because the client read too slowly");
  o.integer("pubsub.slow_consumers.memory_crashes", &P::memory_crashes, "servers", "servers killed for memory (fleet.memory_limit_mib)");
  o.number("pubsub.slow_consumers.peak_server_buffered_mib", &P::peak_server_buffered_mib, "MiB", "the most one server held in send buffers at a sample time");
  o.integer("pubsub.slow_consumers.dropped",
            [](const P& p) { return p.dropped_full + p.dropped_oldest + p.dropped_volatile + p.conflated + p.discarded; },
            "copies", "dropped, conflated or discarded copies");
  t.object("pubsub.continuity", "each client's position on each of its channels");
  o.integer("pubsub.continuity.expected", &P::expected, "messages", "publications on clients' channels during their sessions");
  o.integer("pubsub.continuity.in_order", &P::in_order, "messages", "delivered live, the first time, in order");
  o.integer("pubsub.continuity.recovered_resume", &P::recovered_resume, "messages", "recovered by resume after a reconnect");
  o.integer("pubsub.continuity.recovered_history", &P::recovered_history, "messages", "fetched from history after a reconnect");
  o.integer("pubsub.continuity.lost", &P::lost, "messages", "never delivered");
  o.integer("pubsub.continuity.pending_at_end", &P::pending_at_end, "messages", "published, not yet with the client at the end");
  o.integer("pubsub.continuity.duplicated", &P::duplicated, "messages", "delivered again although the client had it");
  o.integer("pubsub.continuity.out_of_order", &P::out_of_order, "messages", "delivered after a newer message of the channel");
  o.flag("pubsub.continuity.exactly_once", [](const P& p) { return p.lost == 0 && p.duplicated == 0; }, "nothing lost and nothing duplicated");
  t.object("pubsub.resume", "reconnections with resume on");
  o.integer("pubsub.resume.attempts", &P::resume_attempts, "reconnections", "reconnections after a lost connection, with resume on");
  o.integer("pubsub.resume.resumed", &P::resumed, "reconnections", "of attempts, every missed message recovered");
  o.integer("pubsub.resume.too_late", &P::resume_too_late, "reconnections", "of attempts, away longer than the window");
  o.integer("pubsub.resume.evicted", &P::resume_evicted, "reconnections", "of attempts, missed messages no longer cached");
  o.number("pubsub.resume.success_rate",
           [](const P& p) {
             const double attempts = static_cast<double>(p.resume_attempts);
             return attempts > 0 ? static_cast<double>(p.resumed) / attempts : std::nan("");
           },
           "share", "resumed / attempts (null without attempts)");
  o.integer("pubsub.resume.history_fetches", &P::history_fetches, "requests", "history fetches");

  using J = models::ChannelJoinOutcome;
  auto j = o.of(&P::joins);
  o.object("pubsub.channel_joins", "channel joins the client library sends on every connection (backoff.policy = phoenix only)",
           [](const P& p) { return p.joins.enabled; });
  j.integer("pubsub.channel_joins.attempted", &J::attempted, "joins", "join messages sent");
  j.integer("pubsub.channel_joins.on_open", &J::on_open, "joins", "of attempted, sent when the connection opened");
  j.integer("pubsub.channel_joins.retried", &J::retried, "joins", "of attempted, sent again by the rejoin timer after a failed join");
  j.integer("pubsub.channel_joins.succeeded", &J::succeeded, "joins", "of attempted, answered ok within the timeout");
  j.integer("pubsub.channel_joins.timed_out", &J::timed_out, "joins", "of attempted, no reply within the timeout (a leave was sent)");
  j.integer("pubsub.channel_joins.refused", &J::refused, "joins", "of attempted, refused by a server shedding load ([fleet.admission])");
  j.integer("pubsub.channel_joins.cancelled", &J::cancelled, "joins", "of attempted, in flight when the connection closed");
  j.integer("pubsub.channel_joins.in_flight_at_end", &J::in_flight_at_end, "joins", "of attempted, without a reply at the end");
  j.integer("pubsub.channel_joins.leaves", &J::leaves, "messages", "leave messages sent after a timed-out join");
  j.integer("pubsub.channel_joins.joined_at_end", &J::joined_at_end, "channels", "channels of connected clients joined at the end");
  j.integer("pubsub.channel_joins.waiting_at_end", &J::waiting_at_end, "channels", "channels waiting for their rejoin timer at the end");
}

}  // namespace wsfleet::experiments::summary
