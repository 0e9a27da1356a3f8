// Seed 004's round-robin TaskScheduler: a deque of generators; run() takes
// the first, advances it with next(), and puts it back at the end unless it
// has finished (StopIteration). Prints exactly what the seed's output shows.
#include <deque>
#include <iostream>
#include <utility>

#include "absl/status/statusor.h"
#include "actors/generator.h"

namespace {

using Task = coactor::Generator<int>;

// def odd_till(number):
//     n = 1
//     while n < number:
//         print('{} odd_till - {}'.format(number, n))
//         yield n
//         n += 2
Task OddTill(int number) {
  int n = 1;
  while (n < number) {
    std::cout << number << " odd_till - " << n << "\n";
    co_yield n;
    n += 2;
  }
}

Task EvenTill(int number) {
  int n = 2;
  while (n < number) {
    std::cout << number << " even_till - " << n << "\n";
    co_yield n;
    n += 2;
  }
}

class TaskScheduler {
 public:
  void AddTask(Task task) { queue_.push_back(std::move(task)); }

  void Run() {
    while (!queue_.empty()) {
      Task task = std::move(queue_.front());
      queue_.pop_front();
      // OutOfRange is Python's StopIteration: the task is dropped.
      if (task.Next().ok()) queue_.push_back(std::move(task));
    }
  }

 private:
  std::deque<Task> queue_;
};

}  // namespace

int main() {
  TaskScheduler scheduler;
  scheduler.AddTask(OddTill(5));
  scheduler.AddTask(EvenTill(4));
  scheduler.AddTask(OddTill(6));
  scheduler.Run();
  return 0;
}
