// The small files of the machine-id chain (integrations/machine_id_chain.hpp): reading a
// GUID from one (the cache; /etc/machine-id on Linux) and writing the cache so that no
// reader ever sees half of it. The same on every platform.
#pragma once

#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/detail/path_text.hpp>
#include <onefuzz/telemetry/integrations/detail/numbers.hpp>
#include <onefuzz/telemetry/json.hpp>
#include <onefuzz/telemetry/result.hpp>
#include <onefuzz/telemetry/uuid.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace onefuzz::telemetry::integrations::detail {

// A path as UTF-8 for a message: path::string() may throw on Windows (a lone surrogate in
// a UTF-16 name); path_text repairs instead.
inline std::string path_for_message(const std::filesystem::path& path) {
  write_report ignored;
  return std::string{telemetry::detail::path_text(path, ignored)};
}

// The GUID in a text (a file's or a registry value's), or why there is none. `where` names
// the source in the error.
inline result<catalog::machine_id> parse_machine_id_text(std::string_view text, const std::string& where) {
  auto id = catalog::machine_id::parse(trim(text));
  if (!id) return error{where + " does not hold a GUID (" + id.error().message + ")"};
  // A zero-filled id (an image built with a blanked machine id) would make every VM
  // built from it the same machine.
  if (id->value().is_nil()) return error{where + " holds the nil GUID"};
  return *id;
}

// The GUID in a small file, or why there is none.
inline result<catalog::machine_id> read_id_file(const std::filesystem::path& path) {
  const std::string where = "'" + path_for_message(path) + "'";
  std::ifstream file(path, std::ios::binary);
  if (!file) return error{"cannot open " + where + ": " + std::strerror(errno)};
  std::array<char, 256> buffer{};
  file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  return parse_machine_id_text(std::string_view{buffer.data(), static_cast<std::size_t>(file.gcount())}, where);
}

// Writes the id so that a reader never sees a partial file: a temporary file in the same
// directory, then rename(), which replaces the old file atomically. The temporary's name
// has a random part, so two writers (processes or threads) never share one.
inline std::optional<std::string> write_id_file(const std::filesystem::path& path, const catalog::machine_id& id) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return "cannot create '" + path_for_message(path.parent_path()) + "': " + ec.message();
  auto temporary = path;
  temporary += ".tmp-" + uuid::random().to_string().substr(0, 8);
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) return "cannot write '" + path_for_message(temporary) + "': " + std::strerror(errno);
    file << id.to_string();
    file.flush();
    if (!file) return "cannot write '" + path_for_message(temporary) + "'";
  }
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return "cannot rename into '" + path_for_message(path) + "'";
  }
  return std::nullopt;
}

}  // namespace onefuzz::telemetry::integrations::detail
