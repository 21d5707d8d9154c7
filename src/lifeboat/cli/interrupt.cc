#include "lifeboat/cli/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <string_view>
#include <thread>

#include "lifeboat/cli/exit_codes.h"
#include "lifeboat/cli/output.h"

namespace lifeboat::cli {

namespace {

std::mutex g_cleanup_mutex;
std::map<int, std::function<void()>> g_cleanups;
int g_next_id = 0;

void WatchSignals(sigset_t signals) {
  int signal_number = 0;
  while (sigwait(&signals, &signal_number) != 0) {
  }
  std::lock_guard lock(g_cleanup_mutex);
  for (auto it = g_cleanups.rbegin(); it != g_cleanups.rend(); ++it) it->second();
  std::fflush(stdout);
  PrintInfo(signal_number == SIGINT ? "lifeboat: interrupted" : "lifeboat: terminated");
  // _exit: static destructors could run while other threads still use what they destroy.
  _exit(ToInt(signal_number == SIGINT ? ExitCode::kInterrupted : ExitCode::kTerminated));
}

}  // namespace

void InstallInterruptHandler() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::thread(WatchSignals, signals).detach();
  });
}

InterruptCleanup::InterruptCleanup(std::function<void()> cleanup) {
  std::lock_guard lock(g_cleanup_mutex);
  id_ = g_next_id++;
  g_cleanups.emplace(id_, std::move(cleanup));
}

InterruptCleanup::~InterruptCleanup() {
  std::lock_guard lock(g_cleanup_mutex);
  g_cleanups.erase(id_);
}

}  // namespace lifeboat::cli
