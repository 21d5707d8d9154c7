#include "lifeboat/cli/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <mutex>
#include <string_view>
#include <thread>

#include "lifeboat/cli/exit_codes.h"
#include "lifeboat/cli/output.h"

namespace lifeboat::cli {

namespace {

void WatchSignals(sigset_t signals) {
  int signal_number = 0;
  while (sigwait(&signals, &signal_number) != 0) {
  }
  RunInterruptCleanupsForExit();
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

}  // namespace lifeboat::cli
