// The name of this machine's results folder (internal: the CLI, the tuning file's default path,
// the tests). Not part of the public API.
#pragma once
#include <string>

namespace smb {

// The CPU model in lowercase with runs of other characters turned into '-', then '-' and 6 hex
// digits of the FNV-1a hash of the host name, e.g. "amd-epyc-1a2b3c". results/<machine_id()>/
// holds every raw file a run writes.
std::string machine_id();

}  // namespace smb
