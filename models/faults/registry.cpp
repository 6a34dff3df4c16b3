#include <stdexcept>

#include "models/faults/fault_type.hpp"

namespace wsfleet::models {

const std::vector<const FaultType*>& fault_types() {
  static const std::vector<const FaultType*> types{&server_crash_fault(), &balancer_crash_fault(), &site_crash_fault(),
                                                   &broker_outage_fault(), &websocket_block_fault(),
                                                   &slow_server_fault(), &handshake_blackhole_fault(),
                                                   &health_flap_fault(), &link_degrade_fault(), &site_partition_fault(),
                                                   &dropped_messages_fault(), &link_loss_fault(), &link_down_fault()};
  return types;
}

const FaultType& fault_type(FaultTarget target) {
  for (const FaultType* type : fault_types()) {
    if (type->target() == target) return *type;
  }
  throw std::logic_error("fault_type: a fault target without a registered kind");
}

const FaultType* find_fault_type(std::string_view name) {
  for (const FaultType* type : fault_types()) {
    if (type->name() == name) return type;
  }
  return nullptr;
}

const FaultType* fault_type_of_outcome(std::string_view outcome_target) {
  for (const FaultType* type : fault_types()) {
    if (type->outcome_target() == outcome_target) return type;
  }
  return nullptr;
}

}  // namespace wsfleet::models
