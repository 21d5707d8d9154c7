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

std::mutex delegate_mutex;
std::function<void(int)>& Delegate() {
  static auto* delegate = new std::function<void(int)>();
  return *delegate;
}

void WatchSignals(sigset_t signals) {
  int signal_number = 0;
  while (true) {
    if (sigwait(&signals, &signal_number) != 0) continue;
    std::function<void(int)> delegate;
    {
      std::lock_guard lock(delegate_mutex);
      delegate = Delegate();
    }
    if (!delegate) break;
    delegate(signal_number);
  }
  RunInterruptCleanupsForExit();
  std::fflush(stdout);
  const ExitCode code = signal_number == SIGINT   ? ExitCode::kInterrupted
                        : signal_number == SIGHUP ? ExitCode::kHangup
                                                  : ExitCode::kTerminated;
  PrintInfo(signal_number == SIGINT   ? "lifeboat: interrupted"
            : signal_number == SIGHUP ? "lifeboat: hung up"
                                      : "lifeboat: terminated");
  // _exit: static destructors could run while other threads still use what they destroy.
  _exit(ToInt(code));
}

}  // namespace

void InstallInterruptHandler() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::thread(WatchSignals, signals).detach();
  });
}

void SetSignalDelegate(std::function<void(int signal_number)> delegate) {
  std::lock_guard lock(delegate_mutex);
  Delegate() = std::move(delegate);
}

}  // namespace lifeboat::cli
