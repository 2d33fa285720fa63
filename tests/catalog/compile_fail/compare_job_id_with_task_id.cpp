// Must not compile: ids of different kinds cannot even be compared.
#include <onefuzz/telemetry/catalog/ids.hpp>

int main() {
  namespace catalog = onefuzz::telemetry::catalog;
  return catalog::job_id::random() == catalog::task_id::random() ? 1 : 0;
}
