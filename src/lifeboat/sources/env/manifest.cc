#include "lifeboat/sources/env/manifest.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "lifeboat/sources/env/services.h"

namespace lifeboat::sources::env {

using nlohmann::json;

EnvManifest SelectVariables(const std::vector<std::string>& set_names,
                            const std::vector<std::string>& vars,
                            const std::vector<std::string>& prefixes) {
  EnvManifest manifest;
  manifest.requested_vars = vars;
  manifest.requested_prefixes = prefixes;
  const std::set<std::string> set(set_names.begin(), set_names.end());
  std::set<std::string> chosen;
  if (vars.empty() && prefixes.empty()) {
    manifest.selection = "services";
    for (const std::string& name : set) {
      if (!ServiceFor(name).empty()) chosen.insert(name);
    }
  } else {
    manifest.selection = "selected";
    chosen.insert(vars.begin(), vars.end());
    for (const std::string& name : set) {
      for (const std::string& prefix : prefixes) {
        if (name.starts_with(prefix)) chosen.insert(name);
      }
    }
  }
  std::set<std::string> services;
  for (const std::string& name : chosen) {
    EnvVariable variable{.name = name, .set = set.count(name) > 0, .service = ServiceFor(name)};
    if (variable.set && !variable.service.empty()) services.insert(variable.service);
    manifest.variables.push_back(std::move(variable));
  }
  manifest.services.assign(services.begin(), services.end());
  return manifest;
}

std::vector<std::string> MissingVariables(const EnvManifest& manifest,
                                          const std::vector<std::string>& current_names) {
  const std::set<std::string> current(current_names.begin(), current_names.end());
  std::vector<std::string> missing;
  for (const EnvVariable& variable : manifest.variables) {
    if (variable.set && current.count(variable.name) == 0) missing.push_back(variable.name);
  }
  return missing;
}

Status ValidateVariableName(const std::string& name) {
  if (name.empty() || name.find('=') != std::string::npos || name.find('\0') != std::string::npos) {
    return InvalidArgumentError("\"" + name + "\" is not an environment variable name")
        .WithHint("give names only, never NAME=VALUE: --var DATABASE_URL");
  }
  return Status::Ok();
}

namespace {

std::string OctalMode(uint32_t mode) {
  char text[16];
  std::snprintf(text, sizeof(text), "%04o", mode & 07777);
  return text;
}

}  // namespace

std::string EnvManifestToJson(const EnvManifest& m) {
  json variables = json::array();
  for (const EnvVariable& v : m.variables) {
    variables.push_back({{"name", v.name}, {"set", v.set}, {"service", v.service}});
  }
  json files = json::array();
  for (const EnvFile& f : m.files) {
    files.push_back({{"path", f.path},
                     {"stored_as", f.stored_as},
                     {"size", f.size},
                     {"mode", OctalMode(f.mode)},
                     {"mtime", f.mtime},
                     {"uid", f.uid},
                     {"gid", f.gid},
                     {"user", f.user},
                     {"group", f.group},
                     {"sha256", f.sha256}});
  }
  return json{{"format", m.format},
              {"selection", m.selection},
              {"requested_vars", m.requested_vars},
              {"requested_prefixes", m.requested_prefixes},
              {"variables", variables},
              {"services", m.services},
              {"files", files}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<EnvManifest> EnvManifestFromJson(const std::string& text) {
  try {
    const json in = json::parse(text);
    EnvManifest m;
    m.format = in.at("format").get<int>();
    if (m.format != 1) {
      return CorruptionError("env manifest format " + std::to_string(m.format) +
                             " is newer than this lifeboat understands")
          .WithHint("upgrade lifeboat");
    }
    m.selection = in.at("selection").get<std::string>();
    m.requested_vars = in.at("requested_vars").get<std::vector<std::string>>();
    m.requested_prefixes = in.at("requested_prefixes").get<std::vector<std::string>>();
    for (const json& v : in.at("variables")) {
      m.variables.push_back({v.at("name").get<std::string>(), v.at("set").get<bool>(),
                             v.at("service").get<std::string>()});
    }
    m.services = in.at("services").get<std::vector<std::string>>();
    for (const json& f : in.at("files")) {
      EnvFile file;
      file.path = f.at("path").get<std::string>();
      file.stored_as = f.at("stored_as").get<std::string>();
      file.size = f.at("size").get<uint64_t>();
      file.mode = static_cast<uint32_t>(std::stoul(f.at("mode").get<std::string>(), nullptr, 8));
      file.mtime = f.at("mtime").get<std::string>();
      file.uid = f.at("uid").get<uint32_t>();
      file.gid = f.at("gid").get<uint32_t>();
      file.user = f.at("user").get<std::string>();
      file.group = f.at("group").get<std::string>();
      file.sha256 = f.at("sha256").get<std::string>();
      m.files.push_back(std::move(file));
    }
    return m;
  } catch (const std::exception& error) {
    return CorruptionError(std::string("the env manifest cannot be read: ") + error.what());
  }
}

Result<EnvManifest> SnapshotEnvManifest(const repo::Snapshot& snapshot) {
  if (snapshot.source != "env" || !snapshot.manifest) {
    return InvalidArgumentError("the snapshot is not an env backup (its source is \"" +
                                snapshot.source + "\")")
        .WithHint("pick a snapshot made by `lifeboat env backup`");
  }
  return EnvManifestFromJson(*snapshot.manifest);
}

}  // namespace lifeboat::sources::env
