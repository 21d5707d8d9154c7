#include "lifeboat/util/interrupt_cleanup.h"

#include <map>
#include <mutex>

namespace lifeboat {

namespace {
std::mutex g_cleanup_mutex;
std::map<int, std::function<void()>> g_cleanups;
int g_next_id = 0;
}  // namespace

InterruptCleanup::InterruptCleanup(std::function<void()> cleanup) {
  std::lock_guard lock(g_cleanup_mutex);
  id_ = g_next_id++;
  g_cleanups.emplace(id_, std::move(cleanup));
}

InterruptCleanup::~InterruptCleanup() {
  std::lock_guard lock(g_cleanup_mutex);
  g_cleanups.erase(id_);
}

void RunInterruptCleanupsForExit() {
  g_cleanup_mutex.lock();  // never unlocked: the process exits next
  for (auto it = g_cleanups.rbegin(); it != g_cleanups.rend(); ++it) it->second();
}

}  // namespace lifeboat
