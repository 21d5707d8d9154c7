#include "lifeboat/sources/command/manifest.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <string_view>

namespace lifeboat::sources::command {

using nlohmann::json;

std::string CommandManifestToJson(const CommandManifest& m) {
  return json{{"format", m.format},   {"argv", m.argv},        {"exit_status", m.exit_status},
              {"file", m.file},       {"bytes", m.bytes},      {"sha256", m.sha256},
              {"started", m.started}, {"finished", m.finished}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<CommandManifest> CommandManifestFromJson(const std::string& text) {
  try {
    const json in = json::parse(text);
    CommandManifest m;
    m.format = in.at("format").get<int>();
    if (m.format != 1) {
      return CorruptionError("command manifest format " + std::to_string(m.format) +
                             " is newer than this lifeboat understands")
          .WithHint("upgrade lifeboat");
    }
    m.argv = in.at("argv").get<std::vector<std::string>>();
    m.exit_status = in.at("exit_status").get<int>();
    m.file = in.at("file").get<std::string>();
    m.bytes = in.at("bytes").get<uint64_t>();
    m.sha256 = in.at("sha256").get<std::string>();
    m.started = in.at("started").get<std::string>();
    m.finished = in.at("finished").get<std::string>();
    return m;
  } catch (const json::exception& error) {
    return CorruptionError(std::string("the command manifest cannot be read: ") + error.what());
  }
}

Result<CommandManifest> SnapshotCommandManifest(const repo::Snapshot& snapshot) {
  if (snapshot.source != "command" || !snapshot.manifest) {
    return InvalidArgumentError("the snapshot is not a command backup (its source is \"" +
                                snapshot.source + "\")")
        .WithHint("pick a snapshot made by `lifeboat command backup`");
  }
  return CommandManifestFromJson(*snapshot.manifest);
}

namespace {

std::string RedactUrlPasswords(std::string arg) {
  size_t search = 0;
  while (true) {
    const size_t scheme = arg.find("://", search);
    if (scheme == std::string::npos) return arg;
    const size_t begin = scheme + 3;
    const size_t end = arg.find_first_of("/?#", begin);
    const size_t at = arg.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at != std::string::npos && at >= begin) {
      const size_t colon = arg.find(':', begin);
      if (colon != std::string::npos && colon < at && at > colon + 1) {
        arg.replace(colon + 1, at - colon - 1, "***");
      }
    }
    search = begin;
  }
}

bool NamesASecret(std::string_view option) {
  std::string lower(option);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"password", "passwd", "secret", "token"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> RedactArguments(const std::vector<std::string>& argv) {
  std::vector<std::string> redacted;
  for (const std::string& arg : argv) {
    const size_t equals = arg.find('=');
    if (arg.starts_with("-") && equals != std::string::npos &&
        NamesASecret(std::string_view(arg).substr(0, equals))) {
      redacted.push_back(arg.substr(0, equals + 1) + "***");
      continue;
    }
    redacted.push_back(RedactUrlPasswords(arg));
  }
  return redacted;
}

std::string QuoteCommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& arg : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789-_./:=,+@%") == std::string::npos;
    if (plain) {
      line += arg;
      continue;
    }
    line += '\'';
    for (char c : arg) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

}  // namespace lifeboat::sources::command
