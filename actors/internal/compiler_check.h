// Refuses, at compile time, a language mode or a compiler that cannot build
// coactor correctly, with one message that says why and what to do. Every
// public header includes this first, so its message is the first error.
//
// - Below C++20: coactor is made of C++20 coroutines and concepts.
// - g++ 12 and older: g++ destroys some temporaries of a `co_await`
//   expression twice. Brace-initialised temporaries and lambda closures
//   that own memory are freed twice, which crashes ordinary actor code
//   (`co_await queue.Put(Transfer{"a", "b", 5})`, `co_await Ask<R>(sched,
//   ref, [key](ReplyTo<R> r) {...}, timeout)`) or corrupts the heap without
//   a word. Reproduced with Debian 12's g++ 12.2 in
//   tests/compiler_hazards_test.cc (other projects report the lambda form
//   against GCC 11 and 12, e.g. under GCC bug 100611); clang 14, 15 and 16
//   run the same code clean. No library-side design avoids it: the temporaries
//   are the caller's. An error, not a warning: the failure is silent memory
//   corruption at run time. Remedy: clang 16 (Debian's clang-16, what
//   ./bazelw installs and .bazelrc selects). A user who has audited their
//   code may define COACTOR_ALLOW_GCC_COROUTINE_BUG to turn the error into
//   a warning; coactor's own tests are not run that way.
#ifndef COACTOR_ACTORS_INTERNAL_COMPILER_CHECK_H_
#define COACTOR_ACTORS_INTERNAL_COMPILER_CHECK_H_

#if !defined(__cplusplus) || __cplusplus < 202002L
#error \
    "coactor needs C++20 (-std=c++20): with Bazel, build --cxxopt=-std=c++20 in your .bazelrc"
#endif

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#if defined(COACTOR_ALLOW_GCC_COROUTINE_BUG)
#pragma GCC warning \
    "coactor: g++ 12 and older free some co_await temporaries twice; COACTOR_ALLOW_GCC_COROUTINE_BUG is set, so this is only a warning"
#else
#error \
    "coactor: g++ 12 and older free some co_await temporaries twice (brace-initialised temporaries and lambdas capturing strings crash or corrupt memory). Build with clang 16: apt-get install clang-16, then build --repo_env=CC=clang-16 in your .bazelrc (or define COACTOR_ALLOW_GCC_COROUTINE_BUG to downgrade this to a warning at your own risk)"
#endif
#endif

#endif  // COACTOR_ACTORS_INTERNAL_COMPILER_CHECK_H_
