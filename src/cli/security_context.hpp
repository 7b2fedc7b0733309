// The runtime settings that ocicap suggests for an image: a Kubernetes
// container securityContext and the matching docker run options. Both
// drop every capability and add back what the files need, so the bounding
// set contains exactly those.
#pragma once

#include "ocicap/json_value.hpp"
#include "ocicap/runtime_advice.hpp"

#include <string>
#include <vector>

namespace ocicap::cli {

// Returns the securityContext block as YAML, two spaces per level, without
// a final newline.
std::string security_context_yaml(const RuntimeAdvice& advice);

// Returns the securityContext block's value as JSON.
JsonValue security_context_json(const RuntimeAdvice& advice);

// Returns the docker run options, one word per element.
std::vector<std::string> docker_run_options(const RuntimeAdvice& advice);

} // namespace ocicap::cli
