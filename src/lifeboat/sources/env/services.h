// Which service an environment variable's name implies: DATABASE_URL and the libpq PG*
// variables mean PostgreSQL, AWS_* means AWS (S3), STRIPE_* Stripe, and so on — the table an
// operator needs after a disaster to know which accounts the application depends on. Names
// only: nothing here ever sees a value. The table is documented in README.md ("Environment and
// config files"); its first matching rule wins, exact names before prefixes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::sources::env {

struct ServiceRule {
  std::string_view pattern;  // a name, or a prefix when `prefix`
  bool prefix = false;
  std::string_view service;
};

const std::vector<ServiceRule>& ServiceTable();

// The service `name` implies, or "" when the table knows none.
std::string ServiceFor(std::string_view name);

}  // namespace lifeboat::sources::env
