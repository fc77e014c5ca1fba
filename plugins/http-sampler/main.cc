// The http-sampler plugin's entry point (the plugin itself is sampler_plugin.h).
#include "paddock/plugin.h"
#include "sampler_plugin.h"

PADDOCK_PLUGIN(paddock::http_sampler::HttpSamplerPlugin)
