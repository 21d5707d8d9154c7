#include "lifeboat/sources/source_snapshot.h"

#include <memory>

namespace lifeboat::sources {

Status WriteManifestFile(engine::SnapshotWriter& writer, std::string_view manifest_json) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<engine::StreamFile> file, writer.Open("manifest.json"));
  LIFEBOAT_RETURN_IF_ERROR(file->Write(
      ByteView(reinterpret_cast<const uint8_t*>(manifest_json.data()), manifest_json.size())));
  return file->Close().status();
}

}  // namespace lifeboat::sources
