#include "lifeboat/cli/app.h"

int main(int argc, char** argv) { return lifeboat::cli::Main(argc, argv); }
