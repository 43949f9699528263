// Small statistics for benchmarks: medians and percentiles of samples.
#ifndef XENSHM_TOOLS_BENCH_STATS_H_
#define XENSHM_TOOLS_BENCH_STATS_H_

#include <algorithm>
#include <cstddef>
#include <vector>

namespace xenshm::bench {

// The p-th percentile (0..100) by nearest rank. REQUIRES: !samples.empty().
inline double Percentile(std::vector<double> samples, double p) {
  std::sort(samples.begin(), samples.end());
  size_t rank = static_cast<size_t>(p / 100.0 * (samples.size() - 1) + 0.5);
  return samples[std::min(rank, samples.size() - 1)];
}

}  // namespace xenshm::bench

#endif  // XENSHM_TOOLS_BENCH_STATS_H_
