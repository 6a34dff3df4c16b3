#include "models/policy_params.hpp"
