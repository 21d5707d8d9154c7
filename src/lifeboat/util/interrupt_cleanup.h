// Cleanups that must run if the process is stopped by a signal: release a repository lock,
// stop a child process, restore the terminal. Any layer registers one for as long as the
// resource lives; the signal handler (cli/interrupt.h) runs them, newest first, before exiting.
#pragma once

#include <functional>

namespace lifeboat {

// Registers a cleanup for the lifetime of this object. The destructor waits for a cleanup
// that is running, so the resources it touches stay valid until it is done.
class InterruptCleanup {
 public:
  explicit InterruptCleanup(std::function<void()> cleanup);
  ~InterruptCleanup();
  InterruptCleanup(const InterruptCleanup&) = delete;
  InterruptCleanup& operator=(const InterruptCleanup&) = delete;

 private:
  int id_;
};

// Runs every registered cleanup, newest first, and keeps the registry locked afterwards so no
// cleanup is unregistered (and its resources freed) while the process exits.
void RunInterruptCleanupsForExit();

}  // namespace lifeboat
