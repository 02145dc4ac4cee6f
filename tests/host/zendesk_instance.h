// A complete Zendesk instance config, and a delivery body, for host tests that build the real connector.
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

// A deskhook trigger body for a new ticket of `ticket` with one routine customer question.
inline std::string ZendeskTicketCreatedBody(const std::string& ticket) {
  return R"({"source":"zendesk-trigger","event":"ticket.created","ticket":{"id":")" + ticket +
         R"(","subject":"Help","description":"Where is my order?","latest_comment":"Where is my order?",)"
         R"("status":"new","priority":"normal","type":"question","tags":"","via":"Web form",)"
         R"("created_at":"2026-11-22T09:00:00Z","updated_at":"2026-11-22T09:00:00Z","url":"https://acme.zendesk.com/agent/tickets/1",)"
         R"("requester":{"id":"9001","name":"Dana","email":"dana@example.com"},"assignee":{"id":"","name":"","email":""},)"
         R"("group":{"id":"","name":""},"brand":"Acme"}})";
}

}  // namespace deskhook::testing
