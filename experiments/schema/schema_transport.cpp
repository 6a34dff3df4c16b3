// [transport], [transport.long_polling], [transport.sse] (docs/transports.md).
#include "experiments/schema/limits.hpp"
#include "experiments/schema/schema.hpp"
#include "models/transport/transport_config.hpp"

namespace wsfleet::experiments::schema {

namespace {

Section transport() {
  using T = models::TransportSection;
  return {"transport", false, "Clients that cannot use WebSocket: HTTP long polling or Server-Sent Events (docs/transports.md).",
          {number("long_polling_share", &T::long_polling_share, between(0.0, 1.0),
                  "clients that can only use HTTP long polling (proxies, firewalls)"),
           number("sse_share", &T::sse_share, between(0.0, 1.0),
                  "receive-only clients on Server-Sent Events (with long_polling_share at most 1)"),
           table("long_polling", "Engine.IO's polling transport"),
           table("sse", "Server-Sent Events")},
          false, ""};
}

Section long_polling() {
  using L = models::LongPollingSection;
  return {"transport.long_polling", false, "Engine.IO's polling transport: every poll and message is its own HTTP request.",
          {number("poll_timeout_s", &L::poll_timeout_s, between(kMinTimerS, kMaxDurationS),
                  "the server holds a poll this long when it has nothing to send (Engine.IO: its ping interval)"),
           number("request_us", &L::request_us, between(0.0, kMaxCpuCostUs), "CPU per HTTP request (a poll or a POST)"),
           number("memory_per_request_kib", &L::memory_per_request_kib, between(0.0, 1e7), "memory of one held poll"),
           number("request_bytes", &L::request_bytes, between(0.0, 1e9), "HTTP overhead of one request and its response"),
           flag("pong_posts", &L::pong_posts, "the client answers each ping (an empty poll answer) with a POST")},
          false, ""};
}

Section sse() {
  using S = models::SseSection;
  return {"transport.sse", false, "Server-Sent Events: a persistent response stream; the client's messages are POSTs.",
          {number("request_us", &S::request_us, between(0.0, kMaxCpuCostUs), "CPU per POST request"),
           number("request_bytes", &S::request_bytes, between(0.0, 1e9), "HTTP overhead of one POST and its response")},
          false, ""};
}

}  // namespace

std::vector<Section> transport_sections() { return {transport(), long_polling(), sse()}; }

}  // namespace wsfleet::experiments::schema
