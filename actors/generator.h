// Generator<T, In, R> is a coroutine that produces a sequence of T lazily,
// one `co_yield` at a time: Python's generator, including `yield from`,
// `send()` and `throw()`.
//
//   coactor::Generator<int> Countdown(int n) {
//     while (n > 0) co_yield n--;
//   }
//   coactor::Generator<int> Twice() {
//     co_yield coactor::YieldFrom(Countdown(2));  // 2, 1
//     co_yield coactor::YieldFrom(Countdown(2));  // 2, 1
//   }
//   for (int i : Twice()) std::cout << i << "...";  // 2...1...2...1...
//
// Calling a generator function only creates its frame; the body runs when
// the consumer asks for the first value (`begin()`, `Next()`), up to its
// first `co_yield`, and after that from one `co_yield` to the next.
// Destroying the Generator destroys its frame (and the frames it delegates
// to), wherever it is suspended: a range-for that breaks early leaks
// nothing.
//
// Consuming. `for (T& v : gen)` resumes the generator at `begin()` and at
// each `++`; `v` refers to the yielded object, which the consumer may move
// from, until the next resume. `Next()` returns the next value (moved out)
// as an absl::StatusOr<T>: OutOfRange once, when the body ends, and
// FailedPrecondition for every resume after that (and for a moved-from
// Generator). Iterators and Next() may be mixed (`*it` is valid only until
// the next resume, by either): `++` resumes the generator from wherever
// Next() left it, and on a generator that has finished gives the end
// iterator. An exception that escapes the body propagates out of the call
// that resumed it (`begin()`, `++`, `Next()`, `Send()`, `Throw()`); the
// generator is then finished.
//
// Yielding. `co_yield std::move(x)` and `co_yield <temporary T>` hand the
// object itself to the consumer (no copy: fine for move-only T);
// `co_yield x` for an lvalue, or for another type convertible to T, yields
// a fresh T made from it, so the consumer never sees the generator's own
// variables. `co_await` is not allowed inside a generator.
//
// Delegating (Python's `yield from`). `co_yield YieldFrom(std::move(g))`,
// with g a Generator<T, In, R2>, yields every value of g, passes Send() and
// Throw() through to it, rethrows what escapes g's body, and then evaluates
// to what g `co_return`ed (an R2; void when R2 is void):
//
//   coactor::Generator<int, void, std::string> Tea() {
//     co_yield coactor::YieldFrom(Countdown(4));  // 4, 3, 2, 1
//     co_return "Hello";
//   }
//   std::string x = co_yield coactor::YieldFrom(Tea());  // In the caller.
//
// YieldFrom(range) yields the elements of any range (a reference for an
// lvalue, owned for an rvalue); values sent meanwhile are dropped. (g++ 12
// rejects a braced list in a co_yield operand, `YieldFrom(std::vector<int>{1,
// 2})`: name the container first.) The
// consumer resumes the innermost generator directly: a value costs the same
// at every depth, and neither delegation nor destruction uses stack in
// proportion to the depth. (YieldFrom, rather than `co_yield gen`, so that a
// generator of generators yields them.)
//
// Sending (Python's `send()`). In a Generator<Out, In>, `In x = co_yield
// out;`. Priming is Python's: a new generator has not reached a `co_yield`
// yet, so nothing can receive a value; `Next()` (Python's `next(g)` or
// `g.send(None)`) runs it to its first `co_yield` and returns that value,
// and `Send()` before that returns FailedPrecondition without running it.
// After that, `Send(in)` resumes the paused `co_yield`, which evaluates to
// `in`, and returns the next value yielded. `Next()` and `++` on a started
// generator send `In{}` (Python's None when In is a std::optional).
//
//   coactor::Generator<double, int> RunningSum() {
//     double sum = 0;
//     for (;;) sum += co_yield sum;
//   }
//   auto s = RunningSum();
//   s.Next();             // 0: primed, paused at the co_yield.
//   *s.Send(10);          // 10
//   *s.Send(5);           // 15
//
// Throwing in (Python's `throw()`). `Throw(std::make_exception_ptr(e))`
// rethrows e from the paused `co_yield` (the innermost one, when
// delegating). If the body catches it and yields again, Throw() returns that
// value; if it catches it and ends, OutOfRange; if it does not catch it, e
// propagates out of Throw() and the generator is finished. Like Python,
// Throw() on a generator that has not started finishes it and rethrows e at
// once; on a finished one it returns FailedPrecondition.
//
// Thread-safety: not thread-safe. One thread at a time resumes a generator;
// it may be moved to, and resumed on, another thread between resumes.
#ifndef COACTOR_ACTORS_GENERATOR_H_
#define COACTOR_ACTORS_GENERATOR_H_

#include "actors/internal/compiler_check.h"  // First: C++20 and compiler checks.

#include <coroutine>
#include <cstddef>
#include <exception>
#include <iterator>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "actors/internal/generator_promise.h"

namespace coactor {

template <typename T, typename In = void, typename R = void>
class Generator;

namespace internal {

template <typename U>
inline constexpr bool kIsGenerator = false;
template <typename T, typename In, typename R>
inline constexpr bool kIsGenerator<Generator<T, In, R>> = true;

// Takes a generator's frame out of it; the caller owns the frame.
struct GeneratorAccess {
  template <typename G>
  static auto Release(G& generator) {
    return std::exchange(generator.handle_, nullptr);
  }
};

// The generator behind YieldFrom(range). `Range` is a reference type for
// an lvalue range (iterated in place), a value type otherwise (owned here,
// so its elements are moved out).
template <typename T, typename In, typename Range>
Generator<T, In> YieldEach(Range range) {
  for (auto&& element : range) {
    if constexpr (std::is_reference_v<Range>) {
      co_yield element;
    } else {
      co_yield std::move(element);
    }
  }
}

}  // namespace internal

// `co_yield YieldFrom(std::move(generator))` inside a Generator with the
// same T and In: see the header comment.
template <typename T, typename In, typename R>
internal::YieldFromTag<Generator<T, In, R>> YieldFrom(
    Generator<T, In, R>&& generator) {
  return {std::move(generator)};
}

// `co_yield YieldFrom(range)`: yields each element of a range.
// (clang-format 14 and 16 disagree on requires-clauses.)
// clang-format off
template <typename Range>
  requires(!internal::kIsGenerator<std::remove_cvref_t<Range>> &&
           requires(Range& range) {
             std::begin(range);
             std::end(range);
           })
internal::YieldFromTag<Range> YieldFrom(Range&& range) {
  return {std::forward<Range>(range)};
}
// clang-format on

template <typename T, typename In, typename R>
class [[nodiscard]] Generator {
  static_assert(std::is_object_v<T> && !std::is_const_v<T> &&
                    !std::is_array_v<T>,
                "Generator<T>: T is a plain value type");
  static_assert(std::is_void_v<In> || std::is_default_constructible_v<In>,
                "Generator<T, In>: Next() sends In{}, so In needs a default");

 public:
  using value_type = T;
  using sent_type = In;
  using return_type = R;

  class promise_type;
  class iterator;

  Generator(Generator&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)) {}
  Generator& operator=(Generator&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;
  ~Generator() { Reset(); }

  // begin() resumes the generator to its next value (its first, if it has
  // not started); the end iterator if it is finished.
  iterator begin() {
    if (!handle_ || Root().finished_) return {};
    Root().started_ = true;
    T* value = Resume(handle_);
    return value != nullptr ? iterator(handle_, value) : iterator();
  }
  std::default_sentinel_t end() const noexcept { return {}; }

  // Next() resumes the generator and returns the value it yields next.
  absl::StatusOr<T> Next() {
    if (absl::Status s = CheckResumable(); !s.ok()) return s;
    Root().started_ = true;
    return Finish(Resume(handle_));
  }

  // Send() resumes the paused `co_yield`, which evaluates to `value`, and
  // returns the value yielded next. Precondition: started by Next().
  // (clang-format 14 and 16 disagree on requires-clauses.)
  // clang-format off
  template <typename U = In>
    requires(!std::is_void_v<U>)
  absl::StatusOr<T> Send(std::type_identity_t<U> value) {
    if (absl::Status s = CheckResumable(); !s.ok()) return s;
    if (!Root().started_) {
      return absl::FailedPreconditionError(
          "Generator::Send() before the first Next(): no co_yield is waiting "
          "for a value yet");
    }
    Root().leaf_->sent_ = std::addressof(value);
    return Finish(Resume(handle_));
  }
  // clang-format on

  // Throw() raises `exception` at the paused `co_yield` and returns the
  // value yielded next; what the body does not catch propagates out.
  absl::StatusOr<T> Throw(std::exception_ptr exception) {
    if (!exception) {
      return absl::InvalidArgumentError("Generator::Throw(nullptr)");
    }
    if (absl::Status s = CheckResumable(); !s.ok()) return s;
    if (!Root().started_) {
      Root().started_ = Root().finished_ = true;
      std::rethrow_exception(exception);
    }
    Root().leaf_->thrown_ = std::move(exception);
    return Finish(Resume(handle_));
  }

  // True once the body has ended (returned or threw), or if moved from.
  bool finished() const { return !handle_ || Root().finished_; }

 private:
  friend struct internal::GeneratorAccess;
  using Handle = std::coroutine_handle<promise_type>;
  using Base = internal::GeneratorPromiseBase<T, In>;

  explicit Generator(Handle handle) : handle_(handle) {}

  Base& Root() const { return handle_.promise(); }

  // Resumes the generator to its next value; nullptr once it has finished.
  // A value costs one resume of the leaf and a few loads at any depth. While
  // the root delegates to nothing (the common case) it resumes the root
  // through `handle`, the coroutine's own handle, rather than a pointer
  // read from the chain (and Reset() destroys it the same way): a compiler
  // that sees the generator's whole life in one function may then elide
  // the frame's allocation and call its body directly (clang 14 does, for
  // a range-for over a generator created in the loop's own scope).
  static T* Resume(Handle handle) {
    Base& root = handle.promise();
    Base* leaf = root.leaf_;
    if (leaf == &root) [[likely]] {
      handle.resume();
    } else if (leaf != nullptr) {
      leaf->self_.resume();
    } else {
      return nullptr;  // Finished (say, an iterator kept past Next()'s end).
    }
    if (leaf->value_ != nullptr) [[likely]]
      return leaf->value_;
    return root.ContinueChain();
  }

  absl::Status CheckResumable() const {
    if (!handle_) {
      return absl::FailedPreconditionError("Generator: moved from");
    }
    if (Root().finished_) {
      return absl::FailedPreconditionError(
          "Generator: resumed after it finished");
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<T> Finish(T* value) {
    if (value == nullptr) return absl::OutOfRangeError("Generator: finished");
    return std::move(*value);
  }

  void Reset() {
    if (handle_) {
      Root().DestroyDelegates();
      handle_.destroy();  // Through the handle, for the reason in Resume().
    }
    handle_ = nullptr;
  }

  Handle handle_;
};

// An input iterator over the values; compares equal to end() when the
// generator has finished.
template <typename T, typename In, typename R>
class Generator<T, In, R>::iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using difference_type = std::ptrdiff_t;
  using value_type = T;
  using reference = T&;
  using pointer = T*;

  iterator() = default;

  // Precondition: not the end.
  reference operator*() const { return *value_; }
  pointer operator->() const { return value_; }

  // Resumes the generator; a no-op on the end iterator. If the generator
  // has finished meanwhile (Next() ran it to its end), the iterator becomes
  // the end without resuming it.
  iterator& operator++() {
    if (value_ != nullptr) value_ = Resume(handle_);
    return *this;
  }
  void operator++(int) { ++*this; }

  friend bool operator==(const iterator& it, std::default_sentinel_t) {
    return it.value_ == nullptr;
  }

 private:
  friend class Generator;
  iterator(Handle handle, T* value) : handle_(handle), value_(value) {}

  Handle handle_;
  T* value_ = nullptr;  // The current value; null at the end.
};

template <typename T, typename In, typename R>
class Generator<T, In, R>::promise_type
    : public internal::GeneratorPromiseBase<T, In>,
      public internal::GeneratorReturn<R> {
 public:
  Generator get_return_object() noexcept {
    Handle handle = Handle::from_promise(*this);
    this->self_ = handle;
    return Generator(handle);
  }

  using internal::GeneratorPromiseBase<T, In>::yield_value;

  template <typename R2>
  auto yield_value(internal::YieldFromTag<Generator<T, In, R2>>&& tag) {
    using Child = typename Generator<T, In, R2>::promise_type;
    return internal::DelegateAwaiter<T, In, Child, R2>(
        this, internal::GeneratorAccess::Release(tag.source));
  }

  template <typename Range>
  auto yield_value(internal::YieldFromTag<Range>&& tag) {
    using Child = typename Generator<T, In>::promise_type;
    Generator<T, In> each =
        internal::YieldEach<T, In, Range>(std::forward<Range>(tag.source));
    return internal::DelegateAwaiter<T, In, Child, void>(
        this, internal::GeneratorAccess::Release(each));
  }
};

}  // namespace coactor

#endif  // COACTOR_ACTORS_GENERATOR_H_
