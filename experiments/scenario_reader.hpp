#pragma once
// Walks a parsed scenario (file plus overrides) and builds the FleetConfig, failing at the first
// problem with the position of the offending key or value. The keys, their types and ranges are the
// schema's (experiments/schema/); the checks that involve several keys are here. Private to the
// loader; split over scenario_loader.cpp (top level, run, fleet, clients, policies, heartbeat),
// scenario_read_events.cpp (faults, scaling, topology), scenario_read_pubsub.cpp (pubsub, transport)
// and scenario_read_autoscaler.cpp (autoscaler and its sites).
#include <functional>
#include <string>

#include "experiments/schema/table_reader.hpp"
#include "models/fleet_config.hpp"
#include "models/policy_params.hpp"

namespace wsfleet::experiments {

class ScenarioReader : public schema::TableReader {
 public:
  ScenarioReader(const toml::table& root, std::string source) : TableReader(root, std::move(source)) {}

  using TableReader::read;
  models::FleetConfig read();

 private:
  // How one policy section ([balancer], [backoff]) differs from the other.
  struct PolicyKind {
    std::string section;                                         // "balancer"
    std::string noun;                                            // "balancing", for messages
    const std::vector<models::PolicyInfo>* registry;             // the known policies
    std::function<void(const std::string&, const models::Params&)> build;  // validates by building
  };
  static PolicyKind balancing_kind();
  static PolicyKind backoff_kind();
  static PolicyKind autoscaling_kind();

  void check_sections() const;
  void read_scenario(models::FleetConfig& config) const;
  void read_run(models::RunConfig& run) const;
  void read_fleet(models::FleetSection& fleet) const;
  void read_classes(const toml::table& table, models::FleetSection& fleet) const;
  void read_weights(const toml::table& table, models::FleetSection& fleet) const;
  void check_size(const models::FleetConfig& config) const;
  void read_clients(models::ClientsSection& clients) const;
  void read_session(const toml::table& clients, models::ClientsSection& out) const;
  sim::Distribution read_distribution_table(const toml::table& table, const std::string& key) const;
  void read_autoscaler(models::FleetConfig& config) const;
  void read_autoscaler_sites(models::FleetConfig& config, const toml::table& table) const;
  void read_policy(const PolicyKind& kind, std::string& policy, models::Params& params) const;
  void read_balancer(models::BalancerSection& out) const;
  void read_heartbeat(models::FleetConfig& config) const;
  void read_scaling(models::FleetConfig& config) const;
  void read_deploys(models::FleetConfig& config) const;
  /// A Deployment IntOrString count: an integer >= 0, or a percent string "25%" (at most 100 %).
  void read_count_or_percent(const toml::table& table, const std::string& prefix, std::string_view key, double& value,
                             bool& percent) const;
  void read_topology(models::FleetConfig& config) const;
  void read_pubsub(models::FleetConfig& config) const;
  void read_links(const toml::table& table, models::PubSubSection& ps) const;
  void read_buffer(const toml::table& buffer, models::BufferSection& b) const;
  void read_transport(models::TransportSection& t) const;
  void read_faults(models::FleetConfig& config) const;
  void read_alerts(models::AlertsSection& alerts) const;
};

}  // namespace wsfleet::experiments
