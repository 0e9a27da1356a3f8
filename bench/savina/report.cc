// The per-message computation shared by coactor's and CAF's workloads, so
// both do exactly the same work (see report.h).
#include "bench/savina/report.h"

#include <cmath>

namespace bench {

double Compute(double theta) {
  double value = theta;
  for (int i = 0; i < 8; ++i) value = std::sin(value) * 1.1 + 0.5;
  return value;
}

}  // namespace bench
