// The lifeboat command: parses the command line with CLI11, checks the selected command's
// arguments, opens the session it needs, runs it, prints any error as
// "lifeboat: error: <message>" (plus "hint: <hint>") and returns the exit code from
// exit_codes.h. main() is only a call to Main().
#pragma once

namespace lifeboat::cli {

// Call from the main thread before any other thread starts (it installs the interrupt
// watcher). May be called more than once in tests.
int Main(int argc, const char* const* argv);

}  // namespace lifeboat::cli
