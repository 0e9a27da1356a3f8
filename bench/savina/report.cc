// The per-message computation shared by coactor's and CAF's workloads, so
// both do exactly the same work (see report.h).
#include "bench/savina/report.h"

#include <cmath>

namespace bench {

double Compute(double theta) {
  const double sine = std::sin(theta);
  return sine * sine;
}

}  // namespace bench
