// Ctrl-C and SIGTERM. InstallInterruptHandler() blocks both signals in the calling thread —
// and so in every thread started after it — and starts one watcher thread that waits for them.
// On a signal the watcher runs the registered cleanups (newest first: restore the terminal,
// release the repository lock), erases a progress line and exits with 130 (SIGINT) or 143
// (SIGTERM). Running engine threads are not cancelled: the repository's write order (packs,
// then index, then snapshot) makes stopping at any point safe.
#pragma once

#include "lifeboat/util/interrupt_cleanup.h"

namespace lifeboat::cli {

// Call first thing in main(), before any thread exists. Later calls do nothing.
void InstallInterruptHandler();

using lifeboat::InterruptCleanup;

}  // namespace lifeboat::cli
