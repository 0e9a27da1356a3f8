// TypeName<T>() gives a readable name for a message type, for error messages
// and dead-letter records. It works without RTTI: the name is cut out of the
// compiler's pretty function signature at compile time.
//
// Thread-safe: pure function.
#ifndef COACTOR_ACTORS_INTERNAL_TYPE_NAME_H_
#define COACTOR_ACTORS_INTERNAL_TYPE_NAME_H_

#include <string>
#include <string_view>
#include <type_traits>

namespace coactor::internal {

template <typename T>
constexpr std::string_view TypeName() {
  // The most common message type, by the name users write (the compilers
  // spell it std::__cxx11::basic_string<char> or longer).
  if constexpr (std::is_same_v<T, std::string>) return "std::string";
  // GCC: "... TypeName() [with T = int; std::string_view = ...]"
  // Clang: "... TypeName() [T = int]"
  std::string_view signature = __PRETTY_FUNCTION__;
  const std::string_view marker = "T = ";
  const size_t start = signature.find(marker) + marker.size();
  size_t end = signature.find(';', start);
  if (end == std::string_view::npos) end = signature.rfind(']');
  return signature.substr(start, end - start);
}

}  // namespace coactor::internal

#endif  // COACTOR_ACTORS_INTERNAL_TYPE_NAME_H_
