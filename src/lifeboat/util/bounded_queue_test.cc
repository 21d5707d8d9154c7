#include "lifeboat/util/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace lifeboat {
namespace {

using namespace std::chrono_literals;

TEST(BoundedQueue, PopsInFifoOrder) {
  BoundedQueue<int> queue(10);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(queue.Push(i));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(queue.Pop(), i);
}

TEST(BoundedQueue, CarriesMoveOnlyItems) {
  BoundedQueue<std::unique_ptr<int>> queue(2);
  EXPECT_TRUE(queue.Push(std::make_unique<int>(3)));
  std::optional<std::unique_ptr<int>> item = queue.Pop();
  ASSERT_TRUE(item.has_value());
  ASSERT_NE(*item, nullptr);
  EXPECT_EQ(**item, 3);
}

TEST(BoundedQueue, ProducerBlocksUntilConsumerFreesEnoughCost) {
  BoundedQueue<int> queue(100);
  ASSERT_TRUE(queue.Push(1, 60));
  ASSERT_TRUE(queue.Push(2, 40));  // exactly full
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(queue.Push(3, 50));
    pushed = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(pushed) << "push of cost 50 into a full queue must block";
  EXPECT_EQ(queue.Pop(), 1);  // frees 60: 40 + 50 fits
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(queue.Pop(), 2);
  EXPECT_EQ(queue.Pop(), 3);
}

TEST(BoundedQueue, ProducerStaysBlockedWhileFreedCostIsNotEnough) {
  BoundedQueue<int> queue(100);
  ASSERT_TRUE(queue.Push(1, 10));
  ASSERT_TRUE(queue.Push(2, 80));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(queue.Push(3, 50));
    pushed = true;
  });
  EXPECT_EQ(queue.Pop(), 1);  // 80 + 50 still exceeds 100
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(pushed);
  EXPECT_EQ(queue.Pop(), 2);
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(queue.Pop(), 3);
}

TEST(BoundedQueue, OversizeItemAcceptedWhenEmpty) {
  BoundedQueue<int> queue(10);
  EXPECT_TRUE(queue.Push(1, 1000));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(queue.Push(2, 1));
    pushed = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(pushed) << "nothing fits beside an oversize item";
  EXPECT_EQ(queue.Pop(), 1);
  producer.join();
  EXPECT_EQ(queue.Pop(), 2);
}

TEST(BoundedQueue, ConsumerBlocksUntilItemArrives) {
  BoundedQueue<int> queue(4);
  std::atomic<bool> popped{false};
  std::thread consumer([&] {
    EXPECT_EQ(queue.Pop(), 9);
    popped = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(popped);
  EXPECT_TRUE(queue.Push(9));
  consumer.join();
  EXPECT_TRUE(popped);
}

TEST(BoundedQueue, CloseDrainsThenReturnsNullopt) {
  BoundedQueue<int> queue(10);
  ASSERT_TRUE(queue.Push(1));
  ASSERT_TRUE(queue.Push(2));
  queue.Close();
  EXPECT_FALSE(queue.Push(3)) << "push after close fails";
  EXPECT_EQ(queue.Pop(), 1);
  EXPECT_EQ(queue.Pop(), 2);
  EXPECT_EQ(queue.Pop(), std::nullopt);
  EXPECT_EQ(queue.Pop(), std::nullopt);
}

TEST(BoundedQueue, CloseWakesBlockedConsumersAndProducers) {
  BoundedQueue<int> empty(1);
  std::thread consumer([&] { EXPECT_EQ(empty.Pop(), std::nullopt); });
  BoundedQueue<int> full(1);
  ASSERT_TRUE(full.Push(1));
  std::thread producer([&] { EXPECT_FALSE(full.Push(2)); });
  std::this_thread::sleep_for(20ms);
  empty.Close();
  full.Close();
  consumer.join();
  producer.join();
  EXPECT_EQ(full.Pop(), 1);
  EXPECT_EQ(full.Pop(), std::nullopt);
}

TEST(BoundedQueue, ManyProducersAndConsumersLoseNothing) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 3;
  constexpr int kItemsPerProducer = 20000;
  BoundedQueue<int64_t> queue(64);
  std::atomic<int64_t> sum{0};
  std::atomic<int64_t> count{0};

  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&] {
      while (std::optional<int64_t> item = queue.Pop()) {
        sum += *item;
        ++count;
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 1; i <= kItemsPerProducer; ++i) {
        int64_t value = int64_t{p} * kItemsPerProducer + i;
        ASSERT_TRUE(queue.Push(value, 1 + value % 7));
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  queue.Close();
  for (std::thread& consumer : consumers) consumer.join();

  const int64_t n = int64_t{kProducers} * kItemsPerProducer;
  EXPECT_EQ(count.load(), n);
  EXPECT_EQ(sum.load(), n * (n + 1) / 2);
}

}  // namespace
}  // namespace lifeboat
