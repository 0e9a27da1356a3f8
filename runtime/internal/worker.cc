#include "runtime/internal/worker.h"

namespace coactor::internal {
namespace {

// The calling thread's worker, of whichever scheduler. Constant-initialized:
// an access is a plain thread-local load, with no call to a
// dynamic-initialization guard.
thread_local constinit Worker* current_worker = nullptr;

}  // namespace

Worker* Worker::Current(const void* owner) {
  Worker* worker = current_worker;
  return worker != nullptr && worker->owner_ == owner ? worker : nullptr;
}

void Worker::SetCurrent(Worker* worker) { current_worker = worker; }

}  // namespace coactor::internal
