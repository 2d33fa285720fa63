// The OneFuzz event catalog in one include: ids, enums, reviewed values, contexts, and the
// agent and service events (namespace onefuzz::telemetry::catalog; docs/catalog.md).
#pragma once

#include <onefuzz/telemetry/catalog/afl_mode.hpp>
#include <onefuzz/telemetry/catalog/agent_events.hpp>
#include <onefuzz/telemetry/catalog/context.hpp>
#include <onefuzz/telemetry/catalog/enums.hpp>
#include <onefuzz/telemetry/catalog/ids.hpp>
#include <onefuzz/telemetry/catalog/service_events.hpp>
#include <onefuzz/telemetry/catalog/tool_name.hpp>
#include <onefuzz/telemetry/catalog/vm_sku.hpp>
#include <onefuzz/telemetry/role.hpp>

// In strict-review mode a central serializer needs each type's pin in sight, so the
// catalog's pins come with the catalog.
#ifdef ONEFUZZ_TELEMETRY_STRICT_REVIEWS
#include <onefuzz/telemetry/catalog/reviews.hpp>
#endif
