// Heartbeat and send-buffer presets of real libraries, for notebooks and listings.
#include <pybind11/pybind11.h>

#include "models/heartbeat_presets.hpp"
#include "models/pubsub/buffer_presets.hpp"
#include "python/bindings/registration.hpp"

namespace py = pybind11;

namespace wsfleet::python {

void register_heartbeat(py::module_& m) {
  m.def(
      "heartbeat_presets",
      [] {
        py::list out;
        for (const auto& p : models::heartbeat_presets()) {
          py::dict d;
          d["name"] = p.name;
          d["summary"] = p.summary;
          d["interval_s"] = p.interval_s;
          d["sender"] = p.section.sender == models::HeartbeatSender::Client ? "client" : "server";
          d["mode"] = p.section.mode == models::HeartbeatMode::Periodic ? "periodic" : "when_idle";
          d["timeout_s"] = p.section.timeout_s;
          d["peer_timeout_s"] = p.section.peer_timeout_s;
          out.append(d);
        }
        return out;
      },
      "Heartbeat presets: [{name, summary, interval_s, sender, mode, timeout_s, peer_timeout_s}]");
  m.def(
      "buffer_presets",
      [] {
        py::list out;
        for (const auto& p : models::buffer_presets()) {
          py::dict d;
          d["name"] = p.name;
          d["summary"] = p.summary;
          d["policy"] = models::buffer_policy_name(p.section.policy);
          d["limit_kib"] = p.section.limit_kib;
          d["close_on_limit"] = p.section.close_on_limit;
          out.append(d);
        }
        return out;
      },
      "Send-buffer presets ([pubsub.buffer] preset): [{name, summary, policy, limit_kib, close_on_limit}]");
}

}  // namespace wsfleet::python
