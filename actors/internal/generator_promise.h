// The machinery behind coactor::Generator: the promise state shared by every
// generator frame, the awaiters that `co_yield` becomes, and the loop that
// drives a chain of delegating generators. Not for users: see
// actors/generator.h.
//
// A generator that delegates (`co_yield YieldFrom(child)`) and its children
// form a chain; the outermost frame is the root, the innermost the leaf.
// The root records the leaf, so the consumer resumes the leaf directly and a
// value costs the same at any nesting depth. Moving between levels (a child
// starts, a child finishes) does not resume the next frame from inside the
// current one: the frame suspends, and control returns to the consumer's
// call (`Generator::Resume`, then the loop in `ContinueChain`), which
// resumes the new leaf. Symmetric transfer would do the same without the
// loop, but it only keeps the stack flat when the compiler emits a tail
// call, which gcc and clang do not promise at -O0 or under ASan; the loop
// keeps the stack flat in every build.
//
// Thread-safety: none; a chain is driven by one thread at a time.
#ifndef COACTOR_ACTORS_INTERNAL_GENERATOR_PROMISE_H_
#define COACTOR_ACTORS_INTERNAL_GENERATOR_PROMISE_H_

#include <coroutine>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace coactor::internal {

// What `co_yield YieldFrom(x)` passes to the promise: `Source` is a
// Generator (owned) or a range (owned, or a reference for lvalues).
template <typename Source>
struct YieldFromTag {
  Source source;
};

template <typename U>
inline constexpr bool kIsYieldFromTag = false;
template <typename Source>
inline constexpr bool kIsYieldFromTag<YieldFromTag<Source>> = true;

// State every generator frame has. T: the yielded type; In: the type
// `co_yield` evaluates to (void for plain generators). Fields marked "root"
// are meaningful only in the root of a chain.
template <typename T, typename In>
class GeneratorPromiseBase {
 public:
  using Base = GeneratorPromiseBase;

  GeneratorPromiseBase() = default;
  GeneratorPromiseBase(const GeneratorPromiseBase&) = delete;
  GeneratorPromiseBase& operator=(const GeneratorPromiseBase&) = delete;

  // Called by Generator::Resume when the leaf it resumed suspended without
  // a value: either the root's body ended (returns nullptr, or rethrows
  // what escaped it) or a child started or finished, and the chain goes on
  // from the new leaf until a leaf yields (returns the value). Root only.
  // This happens at most twice per frame of the chain, hence out of line.
  [[gnu::noinline]] T* ContinueChain() {
    while (!self_.done()) {
      Base* leaf = leaf_;
      leaf->self_.resume();
      if (leaf->value_ != nullptr) return leaf->value_;
    }
    finished_ = true;
    // No frame to resume: Generator::Resume() returns nullptr from now on
    // without resuming the finished root (its fast path is unchanged).
    leaf_ = nullptr;
    if (exception_) std::rethrow_exception(std::exchange(exception_, {}));
    return nullptr;
  }

  // Raises what the consumer threw in at the paused co_yield. Out of line
  // and cold, so that the resume path of every co_yield stays short.
  [[gnu::noinline, gnu::cold, noreturn]] void RethrowThrown() {
    std::rethrow_exception(std::exchange(thrown_, {}));
  }

  // Destroys every frame this root is delegating to, innermost first (so
  // destruction does not recurse either), but not the root's own frame.
  void DestroyDelegates() {
    Base* frame = leaf_ != nullptr ? leaf_ : this;  // Null once finished.
    while (frame != this) {
      Base* parent = frame->parent_;
      *frame->owner_ = nullptr;  // The awaiter in the parent must not.
      frame->self_.destroy();
      frame = parent;
    }
    leaf_ = this;
  }

  // Destroys this root's frame and every frame it is delegating to.
  void DestroyChain() {
    DestroyDelegates();
    self_.destroy();
  }

  // --- Coroutine protocol --------------------------------------------------

  std::suspend_always initial_suspend() noexcept { return {}; }

  // A child hands the chain back to its parent and stops; the root stays
  // suspended at the end so its owner sees done() and destroys the frame.
  class FinalAwaiter {
   public:
    explicit FinalAwaiter(Base* promise) : promise_(promise) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {
      promise_->value_ = nullptr;
      if (promise_->root_ != promise_) {
        promise_->root_->leaf_ = promise_->parent_;
      }
    }
    void await_resume() const noexcept {}

   private:
    Base* promise_;
  };
  FinalAwaiter final_suspend() noexcept { return FinalAwaiter(this); }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  // What `co_yield value` becomes. await_resume delivers what the consumer
  // sent (In{} for Next()) or rethrows what it threw in: the consumer puts
  // both in the leaf's promise, which is this one.
  class YieldAwaiter {
   public:
    explicit YieldAwaiter(Base* promise) : promise_(promise) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    In await_resume() const {
      if (promise_->thrown_) [[unlikely]]
        promise_->RethrowThrown();
      if constexpr (!std::is_void_v<In>) {
        if (promise_->sent_ != nullptr) {
          return std::move(*std::exchange(promise_->sent_, nullptr));
        }
        return In{};
      }
    }

   protected:
    Base* promise_;
  };

  // `co_yield` of something other than a T rvalue: the awaiter (in the
  // frame) holds a T made from it, so the consumer can never move from, or
  // see, a variable the generator still uses.
  class CopyingYieldAwaiter : public YieldAwaiter {
   public:
    template <typename U>
    CopyingYieldAwaiter(Base* promise, U&& value)
        : YieldAwaiter(promise), value_(std::forward<U>(value)) {}
    void await_suspend(std::coroutine_handle<>) noexcept {
      this->promise_->value_ = std::addressof(value_);
    }

   private:
    T value_;
  };

  // A T rvalue lives until the end of the co_yield expression, which spans
  // the suspension: the consumer reads (and may move from) it in place.
  YieldAwaiter yield_value(T&& value) noexcept {
    value_ = std::addressof(value);
    return YieldAwaiter(this);
  }
  // (clang-format 14 and 16 disagree on requires-clauses.)
  // clang-format off
  template <typename U>
    requires(!kIsYieldFromTag<std::remove_cvref_t<U>> &&
             std::is_constructible_v<T, U &&>)
  CopyingYieldAwaiter yield_value(U&& value) {
    return CopyingYieldAwaiter(this, std::forward<U>(value));
  }
  // clang-format on

  // A generator only yields; `co_await` inside one is an error.
  template <typename U>
  std::suspend_never await_transform(U&&) = delete;

  // Makes `child`, an unstarted or suspended root, the rest of this chain;
  // `owner` is the handle on the child's frame held in this frame.
  void Delegate(Base* child, std::coroutine_handle<>* owner) {
    Base* root = root_;
    for (Base* frame = child->leaf_;; frame = frame->parent_) {
      frame->root_ = root;
      if (frame == child) break;
    }
    child->parent_ = this;
    child->owner_ = owner;
    value_ = nullptr;  // Suspending without a value.
    root->leaf_ = child->leaf_;
    root->leaf_->sent_ = nullptr;  // A delegated-to generator gets Next().
  }

  std::coroutine_handle<> self_;              // This frame.
  Base* root_ = this;                         // The chain's root.
  Base* parent_ = nullptr;                    // Delegates to this frame.
  std::coroutine_handle<>* owner_ = nullptr;  // The parent's handle on it.
  std::exception_ptr exception_;              // Escaped this frame's body.
  T* value_ = nullptr;                        // Just yielded; else null.
  std::add_pointer_t<In> sent_ = nullptr;     // leaf: what Send() passes.
  std::exception_ptr thrown_;                 // leaf: what Throw() raises.

  Base* leaf_ = this;      // root: the frame to resume
                           // (null once finished).
  bool started_ = false;   // root: resumed at least once.
  bool finished_ = false;  // root: its body has ended.
};

// Where a generator keeps what it `co_return`s, for YieldFrom to return.
template <typename R>
class GeneratorReturn {
 public:
  void return_value(R value) { result_.emplace(std::move(value)); }
  std::optional<R> result_;
};
template <>
class GeneratorReturn<void> {
 public:
  void return_void() noexcept {}
};

// What `co_yield YieldFrom(child)` becomes. Owns the child's frame from
// here on; evaluates to the child's return value, or rethrows what escaped
// the child's body.
template <typename T, typename In, typename ChildPromise, typename R>
class DelegateAwaiter {
 public:
  DelegateAwaiter(GeneratorPromiseBase<T, In>* parent,
                  std::coroutine_handle<ChildPromise> child)
      : parent_(parent),
        child_(child),
        child_promise_(child ? &child.promise() : nullptr) {}
  DelegateAwaiter(const DelegateAwaiter&) = delete;
  DelegateAwaiter& operator=(const DelegateAwaiter&) = delete;
  ~DelegateAwaiter() {
    if (!child_) return;  // Never had one, or the root destroyed it.
    // A child that finished under this parent has no frames below it; one
    // that never joined the chain may (it was started on its own).
    if (child_promise_->root_ == child_promise_) {
      child_promise_->DestroyChain();
    } else {
      child_.destroy();
    }
  }

  // Nothing to delegate to: no child, or one whose body has ended (done),
  // or that Throw() closed before it started (finished, never resumed).
  bool await_ready() const noexcept {
    return !child_ || child_.done() || child_promise_->finished_;
  }
  void await_suspend(std::coroutine_handle<>) noexcept {
    parent_->Delegate(child_promise_, &child_);
  }
  R await_resume() {
    if (child_promise_ == nullptr) {
      throw std::invalid_argument("YieldFrom: a moved-from Generator");
    }
    if (child_promise_->exception_) {
      std::rethrow_exception(std::exchange(child_promise_->exception_, {}));
    }
    if constexpr (!std::is_void_v<R>) {
      if (!child_promise_->result_.has_value()) {
        throw std::logic_error("YieldFrom: the generator returned no value");
      }
      return std::move(*child_promise_->result_);
    }
  }

 private:
  GeneratorPromiseBase<T, In>* parent_;
  std::coroutine_handle<> child_;  // Nulled by the root's DestroyChain.
  ChildPromise* child_promise_;
};

}  // namespace coactor::internal

#endif  // COACTOR_ACTORS_INTERNAL_GENERATOR_PROMISE_H_
