// For tests that write traces: a path in the test's temporary directory,
// a file's text, and how often a string occurs in it.
#ifndef COACTOR_TESTS_TRACE_FILES_H_
#define COACTOR_TESTS_TRACE_FILES_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace coactor::testing {

inline std::string TempPath(std::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + std::string(name);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Occurrences of `what` in `text`, overlapping ones too.
inline int Count(std::string_view text, std::string_view what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace coactor::testing

#endif  // COACTOR_TESTS_TRACE_FILES_H_
