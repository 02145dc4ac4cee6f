// `deskhook install|uninstall zendesk|intercom --instance NAME ...`: connects a helpdesk to
// deskhook (Zendesk through its API; Intercom by printing the Developer Hub steps).
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "connectors/intercom/intercom_install.h"
#include "connectors/zendesk/zendesk_install.h"
#include "host/cli/command.h"
#include "host/config.h"

namespace deskhook::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The instance from --config, or (first install, no config yet) from flags and environment.
Result<InstanceConfig> ResolveInstance(const std::vector<std::string>& args, const std::string& kind) {
  const std::string name = Flag(args, "instance");
  if (name.empty()) return Status::InvalidArgument("--instance NAME is required");
  const std::string config_path = Flag(args, "config");
  if (!config_path.empty()) {
    auto config = LoadConfig(config_path);
    if (!config.ok()) {
      return Status::InvalidArgument(
          config.status().message() +
          "\n(first install, before you have a signing secret? run without --config and pass "
          "--base-url/--email with ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN in the environment)");
    }
    const InstanceConfig* inst = config->FindInstance(name);
    if (inst == nullptr) return Status::NotFound(config_path + ": no connectors[] entry named '" + name + "'");
    if (inst->kind != kind)
      return Status::InvalidArgument("connectors '" + name + "' is kind '" + inst->kind + "', not " + kind);
    return *inst;
  }
  InstanceConfig inst;
  inst.name = name;
  inst.kind = kind;
  if (kind == "zendesk") {
    inst.base_url = Flag(args, "base-url", Env("ZENDESK_BASE_URL"));
    inst.api_email = Flag(args, "email", Env("ZENDESK_EMAIL"));
    inst.api_token = Env("ZENDESK_API_TOKEN");  // never a flag: flags show up in `ps`
    inst.oauth_token = Env("ZENDESK_OAUTH_TOKEN");
  } else {
    inst.base_url = Flag(args, "base-url", Env("INTERCOM_BASE_URL"));
  }
  inst.ca_path = Flag(args, "ca-path");
  return inst;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "deskhook: %s\n", s.ToString().c_str());
  return 1;
}

int InstallZendeskCmd(const std::vector<std::string>& args, const InstanceConfig& inst) {
  const std::string url = Flag(args, "url");
  if (url.empty()) return Fail(Status::InvalidArgument("--url PUBLIC_URL is required (where Zendesk reaches deskhook)"));
  auto report = InstallZendesk(inst, url);
  if (!report.ok()) return Fail(report.status());
  for (const auto& a : report->actions) std::printf("  %s\n", a.c_str());
  const std::string secret_file = Flag(args, "secret-file");
  std::printf("\nZendesk will POST ticket events to %s\n", report->endpoint.c_str());
  if (!secret_file.empty()) {
    {
      std::ofstream out(secret_file, std::ios::trunc);
      out << report->signing_secret << "\n";
      if (!out) return Fail(Status::Internal("cannot write " + secret_file));
    }
    ::chmod(secret_file.c_str(), 0600);
    std::printf("Signing secret written to %s (mode 0600).\n", secret_file.c_str());
  } else {
    std::printf("Signing secret (keep it secret; store it e.g. as ZENDESK_SIGNING_SECRET):\n  %s\n",
                report->signing_secret.c_str());
  }
  std::printf(
      "\nAdd to connectors[] in your config (secrets as references, never inline):\n"
      "  {\"name\": \"%s\", \"kind\": \"zendesk\", \"base_url\": \"%s\",\n"
      "   \"signing_secret\": %s,\n"
      "   \"api_email\": \"%s\", \"api_token\": \"${ZENDESK_API_TOKEN}\",\n"
      "   \"self_user_id\": \"%s\",\n"
      "   \"article_section_id\": \"<Help Center section id>\", \"article_permission_group_id\": \"<id>\"}\n"
      "Run this command again at any time: it updates what exists instead of duplicating it.\n",
      inst.name.c_str(), inst.base_url.c_str(),
      secret_file.empty() ? "\"${ZENDESK_SIGNING_SECRET}\"" : ("{\"file\": \"" + secret_file + "\"}").c_str(),
      inst.api_email.empty() ? "<agent email>" : inst.api_email.c_str(), report->api_user_id.c_str());
  return 0;
}

int Install(const std::vector<std::string>& args) {
  const auto pos = Positionals(args);
  const std::string kind = pos.empty() ? "" : pos[0];
  if (kind != "zendesk" && kind != "intercom") {
    std::fprintf(stderr, "usage: deskhook install zendesk|intercom --instance NAME --url PUBLIC_URL [--config FILE]\n");
    return 2;
  }
  auto inst = ResolveInstance(args, kind);
  if (!inst.ok()) return Fail(inst.status());
  if (kind == "zendesk") return InstallZendeskCmd(args, *inst);
  const std::string url = Flag(args, "url");
  if (url.empty()) return Fail(Status::InvalidArgument("--url PUBLIC_URL is required"));
  std::printf("%s", IntercomInstallSteps(*inst, url).c_str());
  return 0;
}

int Uninstall(const std::vector<std::string>& args) {
  const auto pos = Positionals(args);
  const std::string kind = pos.empty() ? "" : pos[0];
  if (kind != "zendesk" && kind != "intercom") {
    std::fprintf(stderr, "usage: deskhook uninstall zendesk|intercom --instance NAME [--config FILE]\n");
    return 2;
  }
  auto inst = ResolveInstance(args, kind);
  if (!inst.ok()) return Fail(inst.status());
  if (kind == "intercom") {
    std::printf("%s", IntercomUninstallSteps(*inst).c_str());
    return 0;
  }
  auto report = UninstallZendesk(*inst);
  if (!report.ok()) return Fail(report.status());
  for (const auto& a : report->actions) std::printf("  %s\n", a.c_str());
  return 0;
}

}  // namespace

DESKHOOK_COMMAND("install", "install zendesk|intercom --instance NAME --url URL",
                 "connect a helpdesk: create the Zendesk webhook+triggers / print Intercom steps",
                 Install);
DESKHOOK_COMMAND("uninstall", "uninstall zendesk|intercom --instance NAME",
                 "remove only what `deskhook install` created", Uninstall);

}  // namespace deskhook::cli
