// The spool's file system calls (docs/spool.md), for the platform being compiled: one
// interface, two implementations, selected here and nowhere else.
//
//   spool_directory::open(path)  creates the folder private to the current user if missing,
//                                opens it, and refuses it (open_result::problem and
//                                ::error) when it is not a private folder of that user
//   list(names)                  the names of its entries
//   inspect(name)                why a file is not our own private regular one ("" when it
//                                is), without opening it; nothing when it is gone
//   open_own(name)               a spool_file to read (read_up_to, size), or why not
//                                (refused: not ours, left alone; vanished; error)
//   remove(name), sync()         removes a file (one already gone is no error); makes the
//                                folder's renames and removals durable
//   write_durably(temporary, final_name, header, body, step)
//                                writes, syncs and renames over final_name, or an error
//                                with `step` naming what failed and nothing left behind
//   spool_process_id()           the process id, for file names
//
// POSIX (spool_files_posix.hpp): modes 0700/0600, the owner's uid, O_NOFOLLOW and *at()
// calls on the folder's descriptor, fsync. Windows (spool_files_windows.hpp): a protected
// DACL with one entry for the current user's SID, the owner's SID, reparse points refused,
// FlushFileBuffers and MoveFileExW (docs/windows.md).
#pragma once

#if defined(_WIN32)
#include <onefuzz/telemetry/transport/detail/spool_files_windows.hpp>
#else
#include <onefuzz/telemetry/transport/detail/spool_files_posix.hpp>
#endif
