// The two standard types the core names but does not use: std::filesystem::path (a field
// type whose identity decides how it is checked and sent) and std::chrono's clocks and
// durations (the envelope's timestamp).
//
// The core only compares a field's type with std::filesystem::path; the code that reads a
// path runs in a template, where the user's field, a complete path, already required
// <filesystem>. With libstdc++ the declarations come from <bits/fs_fwd.h> and
// <bits/chrono.h>, the parts <filesystem> and <chrono> are built on: the whole headers
// (with <chrono>'s calendar and <sstream>) were about a third of what including the core
// cost (benchmarks/compile_time.sh). Other standard libraries get the whole headers.
#pragma once

#if __has_include(<bits/fs_fwd.h>) && __has_include(<bits/chrono.h>)
#include <bits/chrono.h>
#include <bits/fs_fwd.h>
#else
#include <chrono>
#include <filesystem>
#endif
