#pragma once
// The future-event list the simulator uses unless told otherwise, chosen by measurement.
//
// tests/bench/bench_event_queue (hold workload: every pop re-arms its timer at now + 25 s with
// probability 0.7, else at now + Exp(60 s); 20M timed pops after a warm-up; best CPU time of 2 x 3
// runs on the shared 2-core Xeon VM, gcc 12 -O3; peak RSS per forked child):
//
//   1,000,000 pending timers     events/s    wall s   ns/pop   peak RSS
//     BinaryHeapQueue             2.06e6      9.74     487      41 MiB
//     QuaternaryHeapQueue         1.93e6     10.39     519      41 MiB
//     BucketQueue (16 ms x 8192)  7.63e6      2.62     131      56 MiB
//   10,000 pending timers
//     BinaryHeapQueue             6.84e6      2.93     146       9 MiB
//     QuaternaryHeapQueue         5.03e6      3.98     199       9 MiB
//     BucketQueue (16 ms x 8192)  1.31e7      1.53      77       9 MiB
//   (drawing the delays alone costs 15-21 ns/pop of the figures above)
//
// BucketQueue is 3.7x faster than the best heap with a million pending timers and 1.9x faster
// with ten thousand, for ~15 MiB more memory at a million (chunk slack and the overflow heap). A
// heap pop at 1M walks ~20 levels of a 32 MB array (a cache miss per level); a bucket-queue pop
// is a pop from a small in-cache heap of the current 16 ms bucket and a push is an append to one
// bucket. The 4-ary heap did not beat the binary one here: three comparisons per level cost more
// than the halved depth saves. Bucket parameters: see BucketQueue::kDefaultBucketWidth.
// Later, sorting the current bucket once instead of popping a heap per event raised BucketQueue to
// 1.11e7 events/s (90 ns/pop) at 1,000,000 pending timers in the same benchmark.
#include "sim/bucket_queue.hpp"

namespace wsfleet::sim {

/// The EventQueue the simulator uses by default: BucketQueue with its default 16 ms x 8192
/// buckets (figures and reasons above).
using DefaultEventQueue = BucketQueue;

}  // namespace wsfleet::sim
