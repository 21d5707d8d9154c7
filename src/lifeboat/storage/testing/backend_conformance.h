// A typed GoogleTest suite every Backend must pass. Instantiate it with a factory:
//
//   class LocalFactory { public: static std::unique_ptr<Backend> Make(); ... };
//   INSTANTIATE_TYPED_TEST_SUITE_P(Local, BackendConformance, ::testing::Types<LocalFactory>);
//
// The factory type provides `static std::unique_ptr<lifeboat::storage::Backend> Make()`
// returning an empty backend. Linked by tests only.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "lifeboat/storage/backend.h"

namespace lifeboat::storage::testing {

template <typename Factory>
class BackendConformance : public ::testing::Test {
 protected:
  void SetUp() override { backend_ = Factory::Make(); }
  std::unique_ptr<Backend> backend_;
};

TYPED_TEST_SUITE_P(BackendConformance);

}  // namespace lifeboat::storage::testing

// The test bodies live in backend_conformance_tests.h so the suite can be registered in one
// place; include that header in each test file that instantiates the suite.
