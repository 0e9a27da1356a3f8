// Seed 001: `tail -f FILE | grep python` as a pipeline of actors: follow
// reads lines appended to a file (polling with a short sleep, as the seed
// does), grep passes on the lines that contain the pattern, broadcast
// copies each to every printer. The seed runs forever; this stops after
// --max_matches matching lines.
//
//   bazel run //examples:tail_grep -- --file=/tmp/t.txt --pattern=python
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "actors/actor.h"
#include "actors/actor_ref.h"
#include "actors/receive.h"
#include "actors/sleep.h"
#include "runtime/deque_scheduler.h"
#include "runtime/scheduler.h"

ABSL_FLAG(std::string, file, "/tmp/t.txt", "the file to follow");
ABSL_FLAG(std::string, pattern, "python", "what matching lines contain");
ABSL_FLAG(int, printers, 2, "how many printers the broadcast feeds");
ABSL_FLAG(int, max_matches, 3, "stop after this many matching lines");
ABSL_FLAG(int, poll_ms, 10, "pause when no new line is there");

namespace {

using coactor::Actor;
using coactor::ActorRef;
using coactor::DequeScheduler;
using coactor::Receive;

// The actors run on any scheduler (coactor::Scheduler); main() picks the
// deque one.

// Started by its first message; reads from the end of the file on.
template <coactor::Scheduler Sched>
Actor<int> Follow(Sched& sched, std::string path, ActorRef<std::string> target,
                  absl::Duration poll) {
  co_await Receive<int>();
  std::ifstream file(path);
  file.seekg(0, std::ios::end);  // fd.seek(0, 2)
  std::cout << "following " << path << std::endl;
  std::string pending;
  for (;;) {
    std::string chunk;
    if (std::getline(file, chunk)) {
      if (file.eof()) {  // A line still being written: keep it for later.
        pending += chunk;
        file.clear();
        co_await coactor::Sleep(poll);
        continue;
      }
      if (!sched.Send(target, pending + chunk).ok()) co_return;  // Done.
      pending.clear();
    } else {
      file.clear();
      if (!sched.IsAlive(target)) co_return;  // The pipeline has ended.
      co_await coactor::Sleep(poll);          // time.sleep(0.1)
    }
  }
}

template <coactor::Scheduler Sched>
Actor<std::string> Grep(Sched& sched, std::string pattern,
                        ActorRef<std::string> target, int max_matches) {
  for (int matches = 0; matches < max_matches;) {
    std::string line = co_await Receive<std::string>();
    if (line.find(pattern) != std::string::npos) {
      sched.Send(target, line).IgnoreError();
      ++matches;
    }
  }
}

template <coactor::Scheduler Sched>
Actor<std::string> Broadcast(Sched& sched,
                             std::vector<ActorRef<std::string>> targets) {
  for (;;) {
    std::string item = co_await Receive<std::string>();
    for (ActorRef<std::string>& target : targets) {
      sched.Send(target, item).IgnoreError();
    }
  }
}

Actor<std::string> Printer(int num) {
  for (;;) {
    std::string line = co_await Receive<std::string>();
    std::cout << "printer-" << num << ": " << line << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  DequeScheduler sched;
  std::vector<ActorRef<std::string>> printers;
  for (int i = 1; i <= absl::GetFlag(FLAGS_printers); ++i) {
    printers.push_back(sched.Spawn(Printer(i)));
  }
  ActorRef<std::string> broadcast =
      sched.Spawn(Broadcast(sched, std::move(printers)));
  ActorRef<std::string> grep =
      sched.Spawn(Grep(sched, absl::GetFlag(FLAGS_pattern), broadcast,
                       absl::GetFlag(FLAGS_max_matches)));
  ActorRef<int> follow =
      sched.Spawn(Follow(sched, absl::GetFlag(FLAGS_file), grep,
                         absl::Milliseconds(absl::GetFlag(FLAGS_poll_ms))));
  if (!sched.Send(follow, 0).ok()) return 1;
  // Ends when grep has seen enough: follow then stops too.
  if (!sched.Run().ok()) return 1;
  return 0;
}
