// With g++ each warning names the coactor call and says what to do (from
// coactor's own [[nodiscard("...")]]; Abseil's attribute on absl::Status
// alone names only the type). g++ 12 is refused unless the user accepts its
// coroutine bug; that is a warning, not an error, here.
// COMPILER: g++
// FLAGS: -std=c++20 -DCOACTOR_ALLOW_GCC_COROUTINE_BUG -Werror=unused-result
// EXPECT: error: ignoring return value of .*coactor::.*declared with attribute .*nodiscard.*check it, or call \.IgnoreError\(\) on purpose
// EXPECT-COUNT: 20
#include "tests/compile_errors/ignored_scheduler_results.cc"
