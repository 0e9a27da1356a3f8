// Dead letters to feed the record tests: Letter(n) carries the int n to an
// actor that does not exist; IntOf() reads it back (-1 when the letter holds
// something else).
#ifndef COACTOR_TESTS_DEAD_LETTER_SAMPLES_H_
#define COACTOR_TESTS_DEAD_LETTER_SAMPLES_H_

#include "absl/status/status.h"
#include "runtime/dead_letter.h"
#include "runtime/erased_message.h"

namespace coactor::testing {

inline DeadLetter Letter(int n) {
  return DeadLetter{"nobody", absl::NotFoundError("no actor named 'nobody'"),
                    ErasedMessage::Of(n)};
}

inline int IntOf(const DeadLetter& letter) {
  const int* n = letter.message.get_if<int>();
  return n == nullptr ? -1 : *n;
}

}  // namespace coactor::testing

#endif  // COACTOR_TESTS_DEAD_LETTER_SAMPLES_H_
