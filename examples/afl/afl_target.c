/* An AFL++ target with a crash AFL++ finds in a few seconds: each byte of "FUZ!" is its own
   branch, so coverage feedback leads the fuzzer there one byte at a time. Persistent mode
   with a shared-memory test case (when built with afl-cc) makes it fast; built with a plain
   compiler it reads one input from stdin. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

static void check(const unsigned char* data, size_t size) {
  if (size >= 4 && data[0] == 'F') {
    if (data[1] == 'U') {
      if (data[2] == 'Z') {
        if (data[3] == '!') abort();
      }
    }
  }
}

int main(void) {
#ifdef __AFL_FUZZ_TESTCASE_LEN
  __AFL_INIT();
  const unsigned char* buffer = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(100000)) {
    check(buffer, (size_t)__AFL_FUZZ_TESTCASE_LEN);
  }
#else
  unsigned char buffer[256];
  const ssize_t got = read(0, buffer, sizeof buffer);
  if (got > 0) check(buffer, (size_t)got);
#endif
  return 0;
}
