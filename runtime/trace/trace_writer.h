// TraceWriter is a streaming trace's writer thread: a recording thread
// whose batch is full hands it over (Hand()) and records on into its spare
// at once, while the writer formats the full batch as JSON and appends it
// to the file, then gives it back, empty, as that thread's spare. So the
// recording threads only record (32 bytes an event), the formatting runs
// beside them, and memory stays at two batches per thread. A thread that
// fills its batch before the writer has given its spare back waits for it:
// a trace is complete, never thinned, and a crash loses at most the two
// batches of each thread that were not written yet (each half its
// TraceBuffer: Tracer flushes every batch it writes to the file).
//
//   TraceWriter writer;
//   writer.Start([&](TraceBuffer& from, const TraceBatch& batch) {...});
//   writer.Hand(buffer);  // from the thread that owns `buffer`
//   writer.Stop();        // everything handed is written
//
// Thread-safety: Hand() from any recording thread, each for its own
// buffer; Start() and Stop() by the trace's owner, Stop() after every
// Hand() has returned. The writer's mutex guards each buffer's `spare`.
#ifndef COACTOR_RUNTIME_TRACE_TRACE_WRITER_H_
#define COACTOR_RUNTIME_TRACE_TRACE_WRITER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "runtime/trace/trace_batch.h"
#include "runtime/trace/trace_buffer.h"

namespace coactor::internal {

class TraceWriter {
 public:
  // Writes out one batch of `from`'s (the text, and the file).
  using WriteBatch = std::function<void(TraceBuffer& from, TraceBatch& batch)>;

  TraceWriter() = default;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  ~TraceWriter() { Stop(); }

  // Starts the thread, which calls `write` for each batch handed to it, in
  // the order handed. Not while started.
  void Start(WriteBatch write);
  // Hands `buffer`'s batch over and swaps in its spare, waiting for the
  // writer to give that back if it has not yet.
  void Hand(TraceBuffer* buffer);
  // Writes what was handed and ends the thread. Not started: a no-op.
  void Stop();

 private:
  void Main();

  WriteBatch write_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable work_;        // Handed, or stopping.
  std::condition_variable spare_back_;  // A batch given back.
  struct Handed {
    TraceBuffer* from;
    std::unique_ptr<TraceBatch> batch;
  };
  // Guarded by mutex_.
  std::deque<Handed> queue_;
  bool stopping_ = false;
};

}  // namespace coactor::internal

#endif  // COACTOR_RUNTIME_TRACE_TRACE_WRITER_H_
