// Replaces the global operator new and delete with ones that count, per thread, the heap
// allocations made: for the tests and benchmarks that show some path allocates nothing.
//
// Include it from exactly ONE translation unit of a program, and only in a program of its
// own (a SEPARATE test, a benchmark). Replacement allocation functions are ordinary,
// non-inline global functions that the program must define at most once (the standard
// forbids declaring them inline), so a second including file breaks the link on duplicate
// symbols. And they serve every allocation of the whole program: in an executable shared
// with other tests they would count those tests' allocations too and hide their new/delete
// mismatches from ASan (whose own operator new they displace).
//
// Under TSan (clang's -fsanitize=thread, or g++'s) nothing is replaced: the TSan runtime
// defines the global operator new too and the link fails on the duplicate.
// ONEFUZZ_COUNTING_NEW is then 0 (1 otherwise), and allocations_on_this_thread() is
// deleted, so a file that relies on the count fails to compile there instead of reading 0;
// a file that also builds under TSan puts its allocation checks under #if ONEFUZZ_COUNTING_NEW.
//
// Counted: every form replaced below (single and array, throwing and nothrow). Not counted:
// the over-aligned forms (std::align_val_t), which are not replaced and go to the standard
// library's own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ONEFUZZ_COUNTING_NEW_UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define ONEFUZZ_COUNTING_NEW_UNDER_TSAN 1
#endif

#ifdef ONEFUZZ_COUNTING_NEW_UNDER_TSAN
#define ONEFUZZ_COUNTING_NEW 0

namespace counting_new {
// Nothing counts under TSan (see the first comment): guard the allocation checks with
// #if ONEFUZZ_COUNTING_NEW.
std::uint64_t allocations_on_this_thread() noexcept = delete;
}  // namespace counting_new

#else
#define ONEFUZZ_COUNTING_NEW 1

namespace counting_new {
namespace detail {
// Per thread, so the counting costs no atomic operation (the benchmarks time loops that
// would otherwise pay for it) and a test's count is not disturbed by other threads (the
// sender's worker, a benchmark's consumer) allocating meanwhile.
inline thread_local std::uint64_t allocations = 0;
}  // namespace detail

// Allocations the calling thread has made since it started: take the difference across the
// code to check.
inline std::uint64_t allocations_on_this_thread() noexcept { return detail::allocations; }
}  // namespace counting_new

// None of these is inlined: g++ would otherwise see malloc's result reach operator delete
// (or operator new's reach free) at a call site and warn (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
  ++counting_new::detail::allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc{};
}
[[gnu::noinline]] void* operator new[](std::size_t size) { return ::operator new(size); }
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++counting_new::detail::allocations;
  return std::malloc(size == 0 ? 1 : size);
}
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

#endif  // ONEFUZZ_COUNTING_NEW_UNDER_TSAN
