// Fields guarded by coactor's locks, touched without holding the lock:
// Clang's thread-safety analysis (-Wthread-safety, an error in .bazelrc)
// refuses each. Three mistakes: a field guarded by internal::Mutex written
// without a MutexLock; one guarded by a SharedMutex written under a
// ReaderLock (shared, not exclusive); the actor mailbox's closed flag,
// guarded by its SpinLock, read through IsClosedLocked() without holding
// mailbox_lock(). The same accesses under their locks, below each, are
// accepted, and the whole file compiles without the analysis
// (COMPILES-WITH): the annotations are the only reason it is refused.
// COMPILER: clang++-16
// FLAGS: -std=c++20 -Wthread-safety -Werror=thread-safety
// COMPILES-WITH: -std=c++20
// EXPECT: (writing variable '(count|names)_'|calling function 'IsClosedLocked') requires holding mutex '[a-z_.]+' exclusively
// EXPECT-COUNT: 3
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "actors/internal/mutex.h"
#include "runtime/internal/actor_mailbox.h"

namespace {

using coactor::internal::ActorMailbox;
using coactor::internal::Mutex;
using coactor::internal::MutexLock;
using coactor::internal::ReaderLock;
using coactor::internal::SharedMutex;

class Counter {
 public:
  void AddUnlocked() { ++count_; }  // Error: not held.
  void Add() {
    MutexLock hold(mutex_);
    ++count_;
  }

 private:
  Mutex mutex_;
  int count_ ABSL_GUARDED_BY(mutex_) = 0;
};

class Names {
 public:
  int Read() {
    ReaderLock hold(mutex_);
    return names_;
  }
  void WriteShared() {
    ReaderLock hold(mutex_);
    names_ = 1;  // Error: held shared only.
  }
  void Write() {
    MutexLock hold(mutex_);
    names_ = 2;
  }

 private:
  SharedMutex mutex_;
  int names_ ABSL_GUARDED_BY(mutex_) = 0;
};

bool ClosedUnlocked(ActorMailbox& mailbox) {
  return mailbox.IsClosedLocked();  // Error: its SpinLock is not held.
}

bool Closed(ActorMailbox& mailbox) {
  MutexLock hold(mailbox.mailbox_lock());
  return mailbox.IsClosedLocked();
}

}  // namespace

int main() {
  Counter counter;
  counter.Add();
  counter.AddUnlocked();
  Names names;
  names.Write();
  names.WriteShared();
  ActorMailbox mailbox;
  return names.Read() + (Closed(mailbox) ? 1 : 0) +
         (ClosedUnlocked(mailbox) ? 1 : 0);
}
