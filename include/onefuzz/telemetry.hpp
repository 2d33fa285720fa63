// The one include most users need: sharing attributes, events, serializers.
// The catalog (onefuzz/telemetry/catalog.hpp) and the transport are included separately.
#pragma once

#include <onefuzz/telemetry/envelope.hpp>
#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/json.hpp>
#include <onefuzz/telemetry/result.hpp>
#include <onefuzz/telemetry/role.hpp>
#include <onefuzz/telemetry/serialize.hpp>
#include <onefuzz/telemetry/sharing.hpp>
#include <onefuzz/telemetry/uuid.hpp>
#include <onefuzz/telemetry/value_kind.hpp>
#include <onefuzz/telemetry/version.hpp>
#include <onefuzz/telemetry/wire_enum.hpp>
