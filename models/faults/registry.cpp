#include <stdexcept>

#include "models/faults/fault_type.hpp"

namespace wsfleet::models {

const std::vector<const FaultType*>& fault_types() {
  static const std::vector<const FaultType*> types{&server_crash_fault(), &balancer_crash_fault(), &site_crash_fault(),
                                                   &broker_outage_fault(), &websocket_block_fault()};
  return types;
}

const FaultType& fault_type(FaultTarget target) {
  for (const FaultType* type : fault_types()) {
    if (type->target() == target) return *type;
  }
  throw std::logic_error("fault_type: a fault target without a registered kind");
}

}  // namespace wsfleet::models
