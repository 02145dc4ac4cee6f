// A complete Zendesk instance config for host tests that build the real connector.
#pragma once

#include <string>

#include "connectors/connector.h"

namespace deskhook::testing {

inline InstanceConfig ZendeskInstance(const std::string& name = "zd",
                                      const std::string& base_url = "https://acme.zendesk.com") {
  InstanceConfig c;
  c.name = name;
  c.kind = "zendesk";
  c.base_url = base_url;
  c.signing_secret = "s";
  c.api_email = "bot@example.com";
  c.api_token = "t";
  c.article_section_id = "360001";
  c.article_permission_group_id = "7";
  return c;
}

}  // namespace deskhook::testing
