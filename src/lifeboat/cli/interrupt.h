// Ctrl-C, SIGTERM and SIGHUP. InstallInterruptHandler() blocks the three signals in the calling
// thread — and so in every thread started after it — and starts one watcher thread that waits for
// them. On a signal the watcher runs the registered cleanups (newest first: restore the terminal,
// release the repository lock), erases a progress line and exits with 130 (SIGINT) or 143
// (SIGTERM) or 129 (SIGHUP: the terminal went away). A long-running command that decides
// itself what a signal means (the daemon: SIGTERM stops it gracefully, SIGHUP reloads its plan)
// sets a delegate, which then receives every signal instead. Running engine threads are not
// cancelled: the repository's write order (packs, then index, then snapshot) makes stopping at any
// point safe.
#pragma once

#include <functional>

#include "lifeboat/util/interrupt_cleanup.h"

namespace lifeboat::cli {

// Call first thing in main(), before any thread exists. Later calls do nothing.
void InstallInterruptHandler();

// While set, each SIGINT, SIGTERM and SIGHUP is passed to `delegate` (on the watcher thread)
// instead of ending the process; nullptr restores the default. The delegate must not block.
void SetSignalDelegate(std::function<void(int signal_number)> delegate);

using lifeboat::InterruptCleanup;

}  // namespace lifeboat::cli
