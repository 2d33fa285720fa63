// Must not compile: an untyped uuid does not silently become a job id (the constructor is
// explicit; say catalog::job_id{value} when the uuid really is a job's).
#include <onefuzz/telemetry/catalog/ids.hpp>

int main() {
  namespace catalog = onefuzz::telemetry::catalog;
  catalog::job_id id = onefuzz::telemetry::uuid::random();
  return id.value().is_nil() ? 0 : 1;
}
