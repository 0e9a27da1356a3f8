// Whether a test binary runs under a sanitizer, for tests that scale their
// work down there (5-20x slower). g++ defines __SANITIZE_ADDRESS__ and
// __SANITIZE_THREAD__; clang answers __has_feature instead.
#ifndef COACTOR_TESTS_SANITIZER_H_
#define COACTOR_TESTS_SANITIZER_H_

#if defined(__SANITIZE_THREAD__)
#define COACTOR_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COACTOR_TEST_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define COACTOR_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COACTOR_TEST_ASAN 1
#endif
#endif

#if defined(COACTOR_TEST_TSAN) || defined(COACTOR_TEST_ASAN)
#define COACTOR_TEST_SANITIZED 1
#endif

#endif  // COACTOR_TESTS_SANITIZER_H_
