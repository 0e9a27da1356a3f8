#include "runtime/trace/trace_writer.h"

#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "runtime/trace/trace_batch.h"
#include "runtime/trace/trace_buffer.h"

namespace coactor::internal {

void TraceWriter::Start(WriteBatch write) {
  write_ = std::move(write);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Main(); });
}

void TraceWriter::Hand(TraceBuffer* buffer) {
  std::unique_lock<std::mutex> lock(mutex_);
  // The thread's previous batch is still being written: wait.
  while (buffer->spare == nullptr) spare_back_.wait(lock);
  queue_.push_back(Handed{buffer, buffer->Exchange(std::move(buffer->spare))});
  work_.notify_one();
}

void TraceWriter::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  thread_.join();
}

void TraceWriter::Main() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    while (queue_.empty() && !stopping_) work_.wait(lock);
    if (queue_.empty()) return;  // Stopping, and all is written.
    Handed handed = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    write_(*handed.from, *handed.batch);
    handed.batch->Clear();
    lock.lock();
    handed.from->spare = std::move(handed.batch);
    spare_back_.notify_all();
  }
}

}  // namespace coactor::internal
