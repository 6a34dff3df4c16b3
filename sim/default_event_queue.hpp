#pragma once
// The event list the simulator uses unless told otherwise (placeholder until measured).
#include "sim/bucket_queue.hpp"

namespace wsfleet::sim {

/// The fastest EventQueue on our workload.
using DefaultEventQueue = BucketQueue;

}  // namespace wsfleet::sim
