// `wsfleet list`, `wsfleet backoff` and `wsfleet balance`: the real policy code, one call away.
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "experiments/cli/commands.hpp"
#include "experiments/result_writer.hpp"
#include "models/backoff/presets/connect_timeout.hpp"
#include "models/autoscaling_policy.hpp"
#include "models/backoff_policy.hpp"
#include "models/balancing_policy.hpp"
#include "models/faults/fault_type.hpp"
#include "models/heartbeat_presets.hpp"
#include "models/pubsub/buffer_presets.hpp"
#include "models/load_balancer.hpp"
#include "sim/distribution.hpp"

namespace wsfleet::cli {

using models::format_number;

std::map<std::string, double> parse_params(const std::vector<std::string>& items) {
  std::map<std::string, double> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw std::invalid_argument("--param '" + item + "': expected NAME=VALUE");
    const std::string name = item.substr(0, eq), text = item.substr(eq + 1);
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size()) throw std::invalid_argument("--param " + name + ": '" + text + "' is not a number");
    if (out.count(name)) throw std::invalid_argument("--param " + name + " given twice");
    out[name] = v;
  }
  return out;
}

namespace {

void print_policies(const std::string& title, const std::vector<models::PolicyInfo>& infos) {
  std::cout << title << "\n";
  for (const auto& p : infos) {
    std::cout << "  " << p.name << ": " << p.summary << "\n";
    for (const auto& s : p.params) {
      std::cout << "      " << std::left << std::setw(14) << s.name << " default " << format_number(s.default_value)
                << ", " << format_number(s.min_value) << ".." << format_number(s.max_value)
                << (s.integer ? " (integer)" : "") << "  " << s.help << "\n";
    }
  }
}

nlohmann::ordered_json policies_json(const std::vector<models::PolicyInfo>& infos) {
  auto arr = nlohmann::ordered_json::array();
  for (const auto& p : infos) {
    auto params = nlohmann::ordered_json::array();
    for (const auto& s : p.params) {
      params.push_back({{"name", s.name}, {"default", s.default_value}, {"min", s.min_value}, {"max", s.max_value},
                        {"integer", s.integer}, {"help", s.help}});
    }
    arr.push_back({{"name", p.name}, {"summary", p.summary}, {"params", params}});
  }
  return arr;
}

/// The backoff policies that are not client presets, or only the presets, in listing order.
std::vector<models::PolicyInfo> backoff_infos(bool presets) {
  std::vector<models::PolicyInfo> out;
  for (const auto& info : models::backoff_policies()) {
    bool is_preset = false;
    for (const auto& p : models::backoff_client_presets()) is_preset = is_preset || p.name == info.name;
    if (is_preset == presets) out.push_back(info);
  }
  return out;
}

/// `--after` of `wsfleet backoff`: what the sampled client went through before its first retry.
models::RetryCause parse_after(const std::string& text) {
  if (text == "loss") return models::RetryCause::ConnectionLost;
  if (text == "failure") return models::RetryCause::AttemptFailed;
  throw std::invalid_argument("--after '" + text + "': expected loss or failure");
}

// Heartbeat presets as JSON: the [heartbeat] values each sets, and its ping interval.
nlohmann::ordered_json heartbeat_presets_json() {
  auto arr = nlohmann::ordered_json::array();
  for (const auto& p : models::heartbeat_presets()) {
    const auto& s = p.section;
    arr.push_back({{"name", p.name},
                   {"summary", p.summary},
                   {"interval_s", p.interval_s},
                   {"sender", s.sender == models::HeartbeatSender::Client ? "client" : "server"},
                   {"mode", s.mode == models::HeartbeatMode::Periodic ? "periodic" : "when_idle"},
                   {"timeout_s", s.timeout_s},
                   {"peer_timeout_s", s.peer_timeout_s}});
  }
  return arr;
}

// Send-buffer presets as JSON: the [pubsub.buffer] values each sets.
nlohmann::ordered_json buffer_presets_json() {
  auto arr = nlohmann::ordered_json::array();
  for (const auto& p : models::buffer_presets()) {
    arr.push_back({{"name", p.name},
                   {"summary", p.summary},
                   {"policy", models::buffer_policy_name(p.section.policy)},
                   {"limit_kib", p.section.limit_kib},
                   {"close_on_limit", p.section.close_on_limit}});
  }
  return arr;
}

struct PolicyOptions {
  std::string policy;
  std::vector<std::string> params;
  std::uint32_t attempt = 0;
  std::size_t samples = 1;
  std::size_t picks = 1;
  std::uint64_t seed = 1;
  std::string weights;
  std::string after = "loss";
  bool json = false;
};

std::vector<double> parse_weights(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("--weights: give at least one weight, e.g. --weights 1,1,2");
  std::vector<double> w;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t comma = text.find(',', begin);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(begin, comma - begin);
    begin = comma + 1;
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !(v > 0) || v > 1e6) {
      throw std::invalid_argument("--weights: '" + item + "' is not a weight (a number > 0 and <= 1e6)");
    }
    w.push_back(v);
  }
  if (w.size() > 100000) throw std::invalid_argument("--weights: at most 100000 backends");
  return w;
}

}  // namespace

Action add_list(CLI::App& app) {
  auto opts = std::make_shared<PolicyOptions>();
  auto* cmd = app.add_subcommand("list", "List balancing policies, backoff policies and distributions with their parameters");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  return [opts]() -> int {
    if (opts->json) {
      nlohmann::ordered_json j;
      j["balancing"] = policies_json(models::balancing_policies());
      auto balancing_presets = nlohmann::ordered_json::array();
      for (const auto& p : models::balancing_presets()) balancing_presets.push_back(p.name);
      j["balancing_presets"] = balancing_presets;  // names in "balancing" that reproduce real software
      j["backoff"] = policies_json(models::backoff_policies());
      auto presets = nlohmann::ordered_json::array();
      for (const auto& p : models::backoff_client_presets()) {
        const auto timeout = models::preset_connect_timeout(p.name, models::Params{});
        presets.push_back({{"name", p.name},
                           {"library", p.library},
                           {"source", p.source},
                           {"connect_timeout_s", timeout ? nlohmann::ordered_json(timeout->timeout_s) : nullptr},
                           {"honours_retry_after", p.honours_retry_after}});
      }
      j["backoff_client_presets"] = presets;
      j["autoscaling"] = policies_json(models::autoscaling_policies());
      j["distributions"] = sim::Distribution::kind_names();
      j["heartbeat_presets"] = heartbeat_presets_json();
      j["buffer_presets"] = buffer_presets_json();
      j["buffer_policies"] = models::buffer_policy_names();
      nlohmann::ordered_json kinds = nlohmann::ordered_json::array();
      for (const models::FaultType* kind : models::fault_types()) {
        kinds.push_back({{"name", kind->name()}, {"key", kind->target_key()}, {"description", kind->description()}});
      }
      j["fault_types"] = kinds;
      std::cout << j.dump(2) << "\n";
      return 0;
    }
    std::vector<models::PolicyInfo> generic;
    for (const auto& p : models::balancing_policies()) {
      if (!models::is_balancing_preset(p.name)) generic.push_back(p);
    }
    print_policies("Balancing policies ([balancer] policy = NAME; parameters as keys of [balancer]):", generic);
    std::cout << "\n";
    print_policies("Balancing presets of real software (used like any policy; they also bring the software's health-check, "
                   "retry and idle-timeout defaults: docs/balancing.md, docs/balancer.md):",
                   models::balancing_presets());
    std::cout << "\n";
    print_policies("Backoff policies ([backoff] policy = NAME; parameters as keys of [backoff]):", backoff_infos(false));
    std::cout << "\n";
    print_policies("Client-library reconnect presets ([backoff] policy = NAME; the library's options as keys of [backoff]; "
                   "docs/client_presets.md):",
                   backoff_infos(true));
    std::cout << "\n";
    print_policies("Autoscaling policies ([autoscaler] policy = NAME; `wsfleet autoscale`; docs/autoscaling.md):",
                   models::autoscaling_policies());
    std::cout << "\nHeartbeat presets ([heartbeat] preset = NAME; docs/connections.md):\n";
    for (const auto& p : models::heartbeat_presets()) {
      std::cout << "  " << std::left << std::setw(13) << p.name << p.summary << "\n";
    }
    std::cout << "\nSend-buffer presets ([pubsub.buffer] preset = NAME; docs/pubsub.md):\n";
    for (const auto& p : models::buffer_presets()) {
      std::cout << "  " << std::left << std::setw(19) << p.name << p.summary << "\n";
    }
    std::cout << "Send-buffer policies ([pubsub.buffer] policy = NAME):\n ";
    for (const auto& name : models::buffer_policy_names()) std::cout << " " << name;
    std::cout << "\n";
    std::cout << "\nFault kinds ([[faults]] type = NAME; the key that names what it hits):\n";
    for (const models::FaultType* kind : models::fault_types()) {
      const std::string key = kind->target_key().empty() ? "-" : std::string(kind->target_key());
      std::cout << "  " << std::left << std::setw(20) << kind->name() << std::setw(9) << key << kind->description() << "\n";
    }
    std::cout << "\nSession-length distributions ([clients] session = {distribution = NAME, ...}):\n ";
    for (const auto& d : sim::Distribution::kind_names()) std::cout << " " << d;
    std::cout << "\n";
    return 0;
  };
}

Action add_backoff(CLI::App& app) {
  auto opts = std::make_shared<PolicyOptions>();
  auto* cmd = app.add_subcommand("backoff", "Print reconnect delays (ms) drawn with the real backoff policy code");
  cmd->add_option("policy", opts->policy, "Backoff policy name (see 'wsfleet list')")->required();
  cmd->add_option("--param", opts->params, "Policy parameter NAME=VALUE (repeatable), e.g. --param base_s=1");
  cmd->add_option("--attempt", opts->attempt, "Retry number (0 = the first retry)")->required()->check(whole_number(0, 1000000));
  cmd->add_option("--samples", opts->samples, "Number of delays to draw")->required()->check(whole_number(1, 100000000));
  cmd->add_option("--seed", opts->seed, "Seed of the draws")->check(whole_number(0, UINT64_MAX));
  cmd->add_option("--after", opts->after,
                  "What came before the first retry: loss (an established connection was lost, the default) or "
                  "failure (the client's first connection attempt failed); later attempts fail at once");
  return [opts]() -> int {
    std::vector<sim::SimTime> delays;
    try {
      const auto policy = models::make_backoff_policy(opts->policy, parse_params(opts->params));
      sim::Rng rng = sim::StreamFactory(opts->seed, 0).stream("clients.backoff");
      delays = models::sample_backoff_delays(*policy, opts->attempt, opts->samples, rng, parse_after(opts->after));
    } catch (const std::invalid_argument& e) {
      std::cerr << "wsfleet backoff: " << e.what() << "\n";
      return kExitBadInput;
    }
    std::ostringstream out;
    for (auto d : delays) out << format_number(sim::to_millis(d)) << "\n";
    std::cout << out.str();
    return 0;
  };
}

Action add_balance(CLI::App& app) {
  auto opts = std::make_shared<PolicyOptions>();
  auto* cmd = app.add_subcommand("balance", "Print the backends a fresh balancer picks (each pick opens a connection that stays open)");
  cmd->add_option("policy", opts->policy, "Balancing policy name (see 'wsfleet list')")->required();
  auto* weights_option =
      cmd->add_option("--weights", opts->weights, "Backend weights, comma-separated (default: 3 equal backends)");
  cmd->add_option("--param", opts->params, "Policy parameter NAME=VALUE (repeatable)");
  cmd->add_option("--picks", opts->picks, "Number of picks")->required()->check(whole_number(1, 100000000));
  cmd->add_option("--seed", opts->seed, "Seed of the balancer's random stream")->check(whole_number(0, UINT64_MAX));
  return [opts, weights_option]() -> int {
    std::unique_ptr<models::LoadBalancer> lb;
    try {
      const auto weights =
          weights_option->count() == 0 ? std::vector<double>{1, 1, 1} : parse_weights(opts->weights);
      lb = std::make_unique<models::LoadBalancer>(models::make_balancing_policy(opts->policy, parse_params(opts->params)),
                                                  weights, sim::StreamFactory(opts->seed, 0).stream("balancer"));
    } catch (const std::invalid_argument& e) {
      std::cerr << "wsfleet balance: " << e.what() << "\n";
      return kExitBadInput;
    }
    std::ostringstream out;
    for (std::size_t i = 0; i < opts->picks; ++i) {
      const int b = lb->pick(sim::mix64(i));
      out << b << "\n";
      if (b >= 0) lb->connection_opened(b);
    }
    std::cout << out.str();
    return 0;
  };
}

}  // namespace wsfleet::cli
