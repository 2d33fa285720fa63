// Compile-time privacy audits of events and contexts: field queries usable in static_assert,
// and pinned reviews that fail the build when a type's central fields drift from what a
// reviewer approved. The JSON manifest entries are in audit/manifest.hpp.
#pragma once

#include <onefuzz/telemetry/audit/fields.hpp>
#include <onefuzz/telemetry/audit/review.hpp>
#include <onefuzz/telemetry/audit/type_name.hpp>
